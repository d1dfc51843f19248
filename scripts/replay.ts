/**
 * Re-publishes events from the Outbox table to the bus with their original envelope (same metadata.eventId), so
 * consumers that missed them handle them and the others do nothing (docs/runbooks/lost-orders.md; the work is
 * tools/replay.ts). Dry run by default.
 *   npm run replay -- --order <orderId>... [--detail-type order.paid]... [--since <ISO>] [--until <ISO>] [--send]
 *   npm run replay -- --detail-type order.paid --since 2026-12-01T20:00:00Z --until 2026-12-01T21:00:00Z --send
 * Offline when `npm start` is running; `--stack <name>` targets a deployed stack (AWS, or LocalStack with
 * AWS_ENDPOINT_URL=http://localhost:4566). A bad argument exits 2, naming it; an event not published exits 1.
 */
import { resolveTarget } from '../tools/mitigation-target';
import { parseReplayArgs, REPLAY_USAGE, runReplay } from '../tools/replay';

let args: ReturnType<typeof parseReplayArgs>;
try {
  args = parseReplayArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n${REPLAY_USAGE}`);
  process.exit(2);
}
try {
  const outcome = await runReplay(await resolveTarget(args.stack), args);
  process.exit(outcome.exitCode);
} catch (err) {
  console.error(`replay failed: ${(err as Error).message}`);
  process.exit(1);
}
