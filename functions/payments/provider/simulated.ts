/**
 * A simulated card provider. Its ledger is a DynamoDB table keyed by idempotency key, so a retried charge returns
 * the first outcome instead of charging again, across Lambda containers. Behaviour comes from
 * PAYMENT_SIMULATOR_CONFIG: latency, payment methods that are declined, and a rate of transient failures.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ddb } from '../../shared/aws-clients';
import { jsonEnv, requireEnv } from '../../shared/env';
import { isConditionFailure } from '../../shared/outbox';
import { ProviderUnavailableError, type ChargeResult, type PaymentProvider } from './types';

interface SimulatorConfig {
  latencyMs: number;
  declinedPaymentMethods: string[];
  failureRate: number;
}

export function simulatorConfig(): SimulatorConfig {
  const c = jsonEnv<Partial<SimulatorConfig>>('PAYMENT_SIMULATOR_CONFIG', {});
  const config = { latencyMs: c.latencyMs ?? 100, declinedPaymentMethods: c.declinedPaymentMethods ?? ['tok_declined'], failureRate: c.failureRate ?? 0 };
  if (!(config.latencyMs >= 0) || !(config.failureRate >= 0 && config.failureRate <= 1) || !Array.isArray(config.declinedPaymentMethods)) {
    throw new Error(`PAYMENT_SIMULATOR_CONFIG is invalid: ${JSON.stringify(c)}`);
  }
  return config;
}

/** Records the first outcome for a key; a later call with the same key gets that outcome back. */
async function once<T extends object>(key: string, decide: () => T): Promise<T> {
  const TableName = requireEnv('PROVIDER_LEDGER_TABLE_NAME');
  const existing = await ddb.send(new GetCommand({ TableName, Key: { pk: key }, ConsistentRead: true }));
  if (existing.Item) return existing.Item.result as T;
  const result = decide();
  try {
    await ddb.send(new PutCommand({ TableName, Item: { pk: key, result, at: new Date().toISOString() }, ConditionExpression: 'attribute_not_exists(pk)' }));
    return result;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const winner = await ddb.send(new GetCommand({ TableName, Key: { pk: key }, ConsistentRead: true }));
    return winner.Item!.result as T;
  }
}

export function simulatedProvider(config = simulatorConfig()): PaymentProvider {
  const behave = async (signal: AbortSignal) => {
    await sleep(config.latencyMs, undefined, { signal });
    if (Math.random() < config.failureRate) throw new ProviderUnavailableError('simulated provider error (503)');
  };
  return {
    async charge(req, signal) {
      await behave(signal);
      return once<ChargeResult>(req.idempotencyKey, () =>
        config.declinedPaymentMethods.includes(req.paymentMethod)
          ? { outcome: 'DECLINED', reason: 'card declined' }
          : { outcome: 'CHARGED', chargeId: `ch_${randomUUID().replaceAll('-', '').slice(0, 20)}` },
      );
    },
    async refund(req, signal) {
      await behave(signal);
      return once(req.idempotencyKey, () => ({ refundId: `re_${randomUUID().replaceAll('-', '').slice(0, 20)}` }));
    },
  };
}
