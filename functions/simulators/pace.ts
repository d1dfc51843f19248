/** How long a simulated actor may wait inside one invocation: never so long that the function times out. */
import type { Context } from 'aws-lambda';

/** Left for the DynamoDB work after the last wait (and the batch's other records, which run in parallel). */
const SAFETY_MS = 5_000;

/** `wantedMs`, shortened so the `waitsLeft` waits still to come all fit in the time the invocation has left. */
export function boundedDelay(wantedMs: number, context: Pick<Context, 'getRemainingTimeInMillis'>, waitsLeft = 1): number {
  const budget = Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MS);
  return Math.max(0, Math.min(wantedMs, Math.floor(budget / Math.max(1, waitsLeft))));
}
