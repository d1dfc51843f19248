/**
 * Seed 002's double charge end to end, offline: the payment reconciler runs on its scheduled rule, its metric feeds
 * the template's `PaymentMismatch` alarm, and the offline runtime evaluates it. A clean platform must say OK (with
 * data, not merely silent); a second successful charge planted in the provider's ledger for a delivered order must
 * fire the alarm, be reported with the order's correlation id, fire nothing else of the payments family; and the
 * alarm must return to OK once the ledger is clean again.
 *
 * Time is accelerated (one metric minute = 8 s, timeScale 2/15): the reconciler's one-minute rule and the alarm's
 * one-minute period both run 7.5× faster. The test speed's grace is 2 s, so a planted entry is read on the next run.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmTransition } from '../../offline/runtime/alarms';
import { waitFor } from '../../offline/runtime/wait';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const TIME_SCALE = 2 / 15;
const METRIC_MINUTE_MS = 60_000 * TIME_SCALE;

let t: TestPlatform;
const transitions: AlarmTransition[] = [];

beforeAll(async () => {
  t = await startTestPlatform({ timeScale: TIME_SCALE, onAlarm: (tr) => transitions.push(tr) });
});
afterAll(() => t?.stop());

const alarmNamed = (suffix: string) => t.platform.alarms.states().find((a) => a.alarmName.endsWith(`-${suffix}`))!;
const reconciler = () => t.platform.model.functions.find((f) => f.logicalId.startsWith('PaymentReconciler'))!;
interface RunResult {
  mismatches: number;
  found: { kind: string; orderId: string; correlationId?: string }[];
  counts: Record<string, number>;
  breaker: string;
}

describe('seed 002: a double charge in the provider ledger', { timeout: 240_000 }, () => {
  let orderId: string;
  let correlationId: string;

  it('reports zeros and keeps the alarm OK while the ledger matches', async () => {
    const res = await t.placeOrder('c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 1 }]);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    orderId = res.body.orderId;
    await t.waitForStatus(orderId, 'DELIVERED', 90_000);
    const row = await t.doc.send(new GetCommand({ TableName: t.table('DataOrders'), Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' } }));
    correlationId = row.Item!.correlationId;
    const clean = await t.platform.invoke<RunResult>(reconciler().functionName, {});
    expect(clean).toMatchObject({ mismatches: 0, breaker: 'CLOSED' });
    expect(Object.values(clean.counts).every((n) => n === 0)).toBe(true);
    // Evaluated with data from the scheduled runs, not just silent.
    await waitFor(() => alarmNamed('PaymentMismatch').state === 'OK' && alarmNamed('PaymentBreakerOpen').state === 'OK', {
      timeoutMs: 6 * METRIC_MINUTE_MS,
      description: 'PaymentMismatch and PaymentBreakerOpen OK',
    });
  });

  let planted: { pk: string };
  it('fires PaymentMismatch, and nothing else of payments, when a second charge appears for the order', async () => {
    const ledgerTable = t.table('DataProviderLedger');
    const first = (await t.doc.send(new GetCommand({ TableName: ledgerTable, Key: { pk: `charge-${orderId}` }, ConsistentRead: true })))
      .Item!;
    expect(first).toMatchObject({ kind: 'charge', reference: orderId, result: { outcome: 'CHARGED' } });
    // What a retry under a fresh idempotency key leaves at the provider: the same order charged again.
    const at = new Date().toISOString();
    planted = { pk: `charge-${orderId}-retry-2` };
    await t.doc.send(
      new PutCommand({
        TableName: ledgerTable,
        Item: { ...first, ...planted, at, ledgerHour: at.slice(0, 13), result: { outcome: 'CHARGED', chargeId: 'ch_planted_double' } },
      }),
    );
    const injectedAt = Date.now();
    await waitFor(() => alarmNamed('PaymentMismatch').state === 'ALARM', {
      timeoutMs: 6 * METRIC_MINUTE_MS,
      description: 'PaymentMismatch in ALARM',
    });
    console.log(
      `double charge planted → PaymentMismatch ALARM in ${Date.now() - injectedAt} ms (1 metric minute = ${METRIC_MINUTE_MS} ms)`,
    );
    const run = await t.platform.invoke<RunResult>(reconciler().functionName, {});
    expect(run.counts).toMatchObject({ DOUBLE_CHARGE: 1, CHARGE_WITHOUT_PAYMENT: 0, CHARGE_WITHOUT_ORDER: 0, MISSING_REFUND: 0 });
    expect(run.mismatches).toBe(1);
    expect(run.found).toEqual([{ kind: 'DOUBLE_CHARGE', orderId, correlationId }]);
    // Nothing else of the payments family noticed anything: no breaker, no consumer errors.
    const fired = new Set(
      transitions.filter((tr) => tr.to === 'ALARM' && tr.at >= injectedAt).map((tr) => tr.alarmName.replace(/^.*?-/, '')),
    );
    expect([...fired].filter((a) => a.startsWith('Payment'))).toEqual(['PaymentMismatch']);
  });

  it('returns to OK once the ledger is clean again', async () => {
    await t.doc.send(new DeleteCommand({ TableName: t.table('DataProviderLedger'), Key: planted }));
    await waitFor(() => alarmNamed('PaymentMismatch').state === 'OK', {
      timeoutMs: 6 * METRIC_MINUTE_MS,
      description: 'PaymentMismatch back to OK',
    });
  });
});
