/**
 * datastore-errors (seed 002 Black Friday, seed 004 database errors): a share of this function's DynamoDB calls fail
 * throttled or access-denied, through the SDK middleware in ../aws-clients.ts (every table, every caller).
 */
import { faultsOf } from './config';
import { sdkError } from './sdk-error';

export function datastoreFailure(random: () => number = Math.random): Error | undefined {
  const fault = faultsOf('datastore-errors').find((f) => random() < f.share);
  if (!fault) return undefined;
  return sdkError(
    fault.error,
    `${fault.error} (game-day fault datastore-errors)`,
    fault.error === 'AccessDeniedException' ? 'client' : 'server',
  );
}
