/**
 * A simulated card provider. Its ledger is a DynamoDB table keyed by idempotency key (a conditional put), so a
 * repeated key returns the first outcome instead of charging again, across Lambda environments. Behaviour comes
 * from PAYMENT_SIMULATOR_CONFIG: latency, payment methods that are declined, and a rate of transient errors —
 * half of them after the ledger write, like a response lost on the wire, which only the idempotency key makes safe.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { ddb } from '../../shared/aws-clients';
import { jsonEnv, requireEnv } from '../../shared/env';
import type { Money } from '../../shared/money';
import { isConditionFailure } from '../../shared/outbox';
import { ProviderUnavailableError, type ChargeResult, type PaymentProvider, type RefundResult } from './types';

const SimulatorConfig = z.strictObject({
  latencyMs: z.number().int().min(0).max(60_000).default(100),
  declinedPaymentMethods: z.array(z.string()).default(['tok_declined']),
  failureRate: z.number().min(0).max(1).default(0),
});
export type SimulatorConfig = z.infer<typeof SimulatorConfig>;

export function simulatorConfig(): SimulatorConfig {
  const parsed = SimulatorConfig.safeParse(jsonEnv<unknown>('PAYMENT_SIMULATOR_CONFIG', {}));
  if (!parsed.success) throw new Error(`PAYMENT_SIMULATOR_CONFIG is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** What the ledger keeps beside the outcome: the provider's view of the money, for reconciliation. */
export interface LedgerEntryDetails {
  kind: 'charge' | 'refund';
  amount: Money;
  reference?: string;
}

/**
 * The ledger's time index (LEDGER_BY_HOUR_INDEX): entries by hour bucket, then time, so the payment reconciler
 * reads a time window — a provider's "list charges created between" — and never scans the ledger.
 */
export const ledgerHour = (iso: string) => iso.slice(0, 13);

/**
 * A repeated key is answered from the ledger and counted there (`replays`, `lastReplayAt`), as Stripe flags an
 * `Idempotent-Replayed` answer: the provider's own evidence that a retry came back with the same key.
 */
async function replayed<T>(TableName: string, key: string, result: T): Promise<T> {
  await ddb.send(
    new UpdateCommand({
      TableName,
      Key: { pk: key },
      UpdateExpression: 'ADD replays :one SET lastReplayAt = :at',
      ExpressionAttributeValues: { ':one': 1, ':at': new Date().toISOString() },
    }),
  );
  return result;
}

/** Records the first outcome for a key; every later call with that key gets the same outcome back. */
async function once<T extends object>(key: string, decide: () => T, details: LedgerEntryDetails): Promise<T> {
  const TableName = requireEnv('PROVIDER_LEDGER_TABLE_NAME');
  const existing = await ddb.send(new GetCommand({ TableName, Key: { pk: key }, ConsistentRead: true }));
  if (existing.Item) return replayed(TableName, key, existing.Item.result as T);
  const result = decide();
  const at = new Date().toISOString();
  try {
    await ddb.send(
      new PutCommand({
        TableName,
        Item: { pk: key, result, at, ledgerHour: ledgerHour(at), ...details },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return result;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const winner = await ddb.send(new GetCommand({ TableName, Key: { pk: key }, ConsistentRead: true }));
    return replayed(TableName, key, winner.Item!.result as T);
  }
}

export function simulatedProvider(config: SimulatorConfig = simulatorConfig()): PaymentProvider {
  const call = async <T extends object>(key: string, decide: () => T, details: LedgerEntryDetails, signal?: AbortSignal): Promise<T> => {
    await sleep(config.latencyMs, undefined, { signal });
    const failure = Math.random() < config.failureRate ? (Math.random() < 0.5 ? 'before' : 'after') : undefined;
    if (failure === 'before') throw new ProviderUnavailableError('simulated provider error (503)');
    const result = await once(key, decide, details);
    if (failure === 'after') throw new ProviderUnavailableError('simulated provider error after processing (response lost)');
    return result;
  };
  return {
    charge: (req, signal) =>
      call<ChargeResult>(
        req.idempotencyKey,
        () =>
          config.declinedPaymentMethods.includes(req.paymentMethod)
            ? { outcome: 'DECLINED', reason: 'card declined' }
            : { outcome: 'CHARGED', chargeId: `ch_${randomUUID().replaceAll('-', '').slice(0, 20)}` },
        { kind: 'charge', amount: req.amount, reference: req.reference },
        signal,
      ),
    refund: (req, signal) =>
      call<RefundResult>(
        req.idempotencyKey,
        () => ({ refundId: `re_${randomUUID().replaceAll('-', '').slice(0, 20)}` }),
        { kind: 'refund', amount: req.amount, reference: req.reference },
        signal,
      ),
  };
}
