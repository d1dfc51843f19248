/**
 * Which events a share-based event fault picks: a stable hash of a key (an event id, a message id) against the
 * share, not Math.random, so the same event is picked on every retry and by every environment — a poison event stays
 * poison until the fault is cleared, and a relay retry duplicates the same events again.
 */
import { createHash } from 'node:crypto';

export function picked(key: string, share: number): boolean {
  if (share >= 1) return true;
  if (share <= 0) return false;
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32 < share;
}

export const matches = (detailTypes: readonly string[], detailType: string) => detailTypes.length === 0 || detailTypes.includes(detailType);
