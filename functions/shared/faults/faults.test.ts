/**
 * The game-day fault modes, one by one, through the hooks the platform really uses (createEventConsumer,
 * createApiHandler, the SDK clients' middleware, the payment provider's wrapper), and the configuration failing
 * closed: a SHOPWAVE_FAULTS that does not validate fails the invocation, never runs as if nothing were set.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../../../test/support/lambda';
import { withGameDayFaults, withTimeout } from '../../payments/provider';
import type { PaymentProvider } from '../../payments/provider/types';
import { ddb } from '../aws-clients';
import { createEventConsumer } from '../event-consumer';
import { createApiHandler } from '../http';
import {
  datastoreFailure,
  dependencyFailure,
  dropsEvent,
  duringRoute,
  extraCopies,
  FaultConfigError,
  FAULTS_ENV,
  InitCrash,
  parseFaults,
  poisonIfInjected,
  reorderIfInjected,
  serializeFaults,
} from '.';
import { classifyError, retryDelaySeconds } from '../retry-policy';
import { picked } from './select';
import { resetProviderFaultCounter } from './provider';

/** The error `fn` throws (undefined when it does not). */
const thrownBy = (fn: () => void): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};
const set = (faults: unknown) => {
  process.env[FAULTS_ENV] = typeof faults === 'string' ? faults : JSON.stringify(faults);
};
afterEach(() => {
  delete process.env[FAULTS_ENV];
  resetProviderFaultCounter();
});

describe('configuration', () => {
  it('is empty when unset or blank, and fills defaults', () => {
    expect(parseFaults(undefined)).toEqual([]);
    expect(parseFaults('  ')).toEqual([]);
    expect(parseFaults('[{"mode":"datastore-errors"}]')).toEqual([{ mode: 'datastore-errors', error: 'ThrottlingException', share: 1 }]);
  });

  it.each([
    ['not JSON', 'restaurant-drops-orders', /not JSON/],
    ['not a list', '{"mode":"drop-events"}', /invalid/],
    ['an unknown mode', '[{"mode":"explode"}]', /mode/],
    ['a share above 1', '[{"mode":"datastore-errors","share":2}]', /share/],
    ['an unknown parameter', '[{"mode":"drop-events","detailType":"order.paid"}]', /detailType|Unrecognized/],
    ['a bad route', '[{"mode":"fail-dependency","routes":["orders"]}]', /routes/],
    ['too many copies', '[{"mode":"duplicate-events","copies":6}]', /copies/],
    ['a zero reorder delay', '[{"mode":"reorder-events","delaySeconds":0}]', /delaySeconds/],
    ['detail-types that are not a list', '[{"mode":"poison-events","detailTypes":"order.paid"}]', /detailTypes/],
  ])('fails closed on %s', (_what, raw, message) => {
    expect(() => parseFaults(raw)).toThrow(FaultConfigError);
    expect(() => parseFaults(raw)).toThrow(message);
  });

  it('refuses to serialize a scenario with a typo (injection fails, not the function later)', () => {
    expect(() => serializeFaults([{ mode: 'provider-latency' } as never])).toThrow();
    expect(JSON.parse(serializeFaults([{ mode: 'provider-latency', delayMs: 4000, everyNth: 3 }]))).toEqual([
      { mode: 'provider-latency', delayMs: 4000, everyNth: 3, phase: 'before' },
    ]);
  });
});

const sqsEvent = (detailType: string, receiveCount = 1): SQSEvent => ({
  Records: [
    {
      messageId: 'm-1',
      receiptHandle: 'r',
      body: JSON.stringify({
        id: 'bus-1',
        source: 'shopwave.orders',
        'detail-type': detailType,
        detail: { data: { orderId: 'o-1' }, metadata: { eventId: 'e-1' } },
      }),
      attributes: { ApproximateReceiveCount: String(receiveCount) } as never,
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
    },
  ],
});

describe('consumer hook', () => {
  process.env.IDEMPOTENCY_TABLE_NAME ??= 'idempotency-unit-test';
  let handled = 0;
  const consumer = () => createEventConsumer(['order.paid'], { 'order.paid': async () => void handled++ });

  it('drop-events acknowledges matching detail-types without handling them, before idempotency (no DynamoDB call)', async () => {
    set([{ mode: 'drop-events', detailTypes: ['order.paid'] }]);
    expect(dropsEvent('order.paid')).toBe(true);
    expect(dropsEvent('order.created')).toBe(false);
    // The idempotency table does not exist: a record that reached the idempotency layer would fail.
    const res = await consumer()(sqsEvent('order.paid'), lambdaContext('restaurant-consumer'));
    expect(res).toEqual({ batchItemFailures: [] });
    expect(handled).toBe(0);
    set([{ mode: 'drop-events' }]);
    expect(dropsEvent('anything')).toBe(true);
  });

  it('a bad configuration fails the record instead of acknowledging it', async () => {
    const handler = consumer();
    set('[{"mode":"drop-events","detailTypes":"order.paid"}]');
    const res = await handler(sqsEvent('order.paid'), lambdaContext('restaurant-consumer'));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
  });

  it('crash-on-init fails the consumer at initialisation; a bad configuration too', () => {
    set([{ mode: 'crash-on-init', message: 'boom at init' }]);
    expect(consumer).toThrow(InitCrash);
    expect(consumer).toThrow('boom at init');
    set('[{"mode":"crash-on-init","reason":1}]');
    expect(consumer).toThrow(FaultConfigError);
    delete process.env[FAULTS_ENV];
    expect(consumer).not.toThrow();
  });
});

describe('event chaos (seed 002)', () => {
  process.env.IDEMPOTENCY_TABLE_NAME ??= 'idempotency-unit-test';
  let handled = 0;
  const consumer = () => createEventConsumer(['order.paid'], { 'order.paid': async () => void handled++ });
  const ids = Array.from({ length: 2000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

  it('picks a stable share of keys: the same key every time, about `share` of them', () => {
    const half = ids.filter((id) => picked(id, 0.5));
    expect(half.length).toBeGreaterThan(850);
    expect(half.length).toBeLessThan(1150);
    expect(ids.filter((id) => picked(id, 0.5))).toEqual(half);
    expect(ids.every((id) => picked(id, 1))).toBe(true);
    expect(ids.some((id) => picked(id, 0))).toBe(false);
  });

  it('duplicate-events: extra copies for the chosen detail-types and share, by event id', () => {
    expect(extraCopies('order.paid', ids[0])).toBe(0);
    set([{ mode: 'duplicate-events', detailTypes: ['order.paid'], copies: 2 }]);
    expect(extraCopies('order.paid', ids[0])).toBe(2);
    expect(extraCopies('order.created', ids[0])).toBe(0);
    set([{ mode: 'duplicate-events', share: 0.5 }]);
    expect(ids.filter((id) => extraCopies('order.created', id) === 1)).toEqual(ids.filter((id) => picked(id, 0.5)));
  });

  it('reorder-events holds a chosen delivery back on its first receive only, without handling it', async () => {
    set([{ mode: 'reorder-events', detailTypes: ['order.paid'], delaySeconds: 7 }]);
    handled = 0;
    // Before the idempotency layer (the table does not exist): the record fails back to the queue, unhandled.
    expect(await consumer()(sqsEvent('order.paid'), lambdaContext('notifications-consumer'))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }],
    });
    expect(handled).toBe(0);
    // It comes back after delaySeconds (real time, whatever the offline scale), and is not held again.
    const held = thrownBy(() => reorderIfInjected('order.paid', 'm-1', 1));
    const errorClass = classifyError(held);
    expect(errorClass).toMatchObject({ kind: 'transient', retryAfterSeconds: 7 });
    expect(retryDelaySeconds(errorClass, 1, { timeScale: 2 / 15 })).toBe(7);
    expect(() => reorderIfInjected('order.paid', 'm-1', 2)).not.toThrow();
    expect(() => reorderIfInjected('order.created', 'm-1', 1)).not.toThrow();
  });

  it('poison-events fails the chosen events permanently on every receive (parked in the DLQ at once)', async () => {
    set([{ mode: 'poison-events', detailTypes: ['order.paid'] }]);
    handled = 0;
    for (const receive of [1, 3, 5])
      expect(await consumer()(sqsEvent('order.paid', receive), lambdaContext('notifications-consumer'))).toEqual({
        batchItemFailures: [{ itemIdentifier: 'm-1' }],
      });
    expect(handled).toBe(0);
    const poison = thrownBy(() => poisonIfInjected('order.paid', 'e-1'));
    expect(classifyError(poison).kind).toBe('permanent');
    expect(retryDelaySeconds(classifyError(poison), 1)).toBe(0);
    expect(() => poisonIfInjected('order.created', 'e-1')).not.toThrow();
    // By event id: the same events are poison on every receive and in every environment, the others never.
    set([{ mode: 'poison-events', share: 0.3 }]);
    const poisoned = ids.filter((id) => thrownBy(() => poisonIfInjected('order.paid', id)) !== undefined);
    expect(poisoned).toEqual(ids.filter((id) => picked(id, 0.3)));
  });
});

describe('API hook', () => {
  const api = createApiHandler({
    'POST /orders': async () => {
      await ddb.send(new GetCommand({ TableName: 'orders-unit-test', Key: { pk: 'x', sk: 'y' } }));
      return { statusCode: 202, body: {} };
    },
    'GET /health': async () => ({ statusCode: 200, body: { ok: true } }),
  });
  const call = (method: string, resource: string) => api(apiEvent({ method, resource, path: resource }), lambdaContext('orders-api'));

  it("fail-dependency fails the route's SDK calls as access denied, and the handler's error path answers 500", async () => {
    set([{ mode: 'fail-dependency', routes: ['POST /orders'] }]);
    const res = await call('POST', '/orders');
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body).error.code).toBe('INTERNAL');
    // Other routes keep working; outside a route nothing fails.
    expect((await call('GET', '/health')).statusCode).toBe(200);
    expect(dependencyFailure()).toBeUndefined();
    await expect(duringRoute('POST /orders', async () => dependencyFailure()?.name)).resolves.toBe('AccessDeniedException');
    set([{ mode: 'fail-dependency', error: 'MissingConfiguration' }]);
    await expect(duringRoute('GET /anything', async () => dependencyFailure()?.name)).resolves.toBe('ResourceNotFoundException');
  });

  it('a bad configuration fails every request (500), even one that calls nothing', async () => {
    set('[{"mode":"fail-dependency","routes":"all"}]');
    expect((await call('GET', '/health')).statusCode).toBe(500);
  });
});

describe('SDK hook', () => {
  it('datastore-errors fails DynamoDB calls with the configured error, for the configured share', async () => {
    set([{ mode: 'datastore-errors', error: 'ProvisionedThroughputExceededException' }]);
    await expect(ddb.send(new GetCommand({ TableName: 't', Key: { pk: 'a' } }))).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      $fault: 'server',
    });
    set([{ mode: 'datastore-errors', error: 'AccessDeniedException', share: 0.25 }]);
    expect(datastoreFailure(() => 0.2)?.name).toBe('AccessDeniedException');
    expect(datastoreFailure(() => 0.3)).toBeUndefined();
  });
});

describe('payment provider hook', () => {
  const calls: string[] = [];
  const provider: PaymentProvider = {
    charge: async (r) => {
      calls.push(r.idempotencyKey);
      return { chargeId: `ch-${r.idempotencyKey}` } as never;
    },
    refund: async () => ({ refundId: 'rf' }) as never,
  };
  const charge = (key: string) => withGameDayFaults(provider).charge({ idempotencyKey: key } as never);

  it('provider-latency delays every Nth call', async () => {
    set([{ mode: 'provider-latency', everyNth: 2, delayMs: 300 }]);
    const t0 = Date.now();
    await charge('a');
    const t1 = Date.now();
    await charge('b');
    expect(t1 - t0).toBeLessThan(200);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(290);
  });

  it('provider-latency phase after: the call is processed, then the late answer is cut off by the timeout', async () => {
    calls.length = 0;
    resetProviderFaultCounter();
    set([{ mode: 'provider-latency', everyNth: 2, delayMs: 5000, phase: 'after' }]);
    const bounded = (key: string) => withTimeout(withGameDayFaults(provider), 200).charge({ idempotencyKey: key } as never);
    await expect(bounded('e')).resolves.toMatchObject({ chargeId: 'ch-e' });
    const t0 = Date.now();
    await expect(bounded('f')).rejects.toThrow(/did not answer within 200 ms/);
    expect(Date.now() - t0).toBeLessThan(1000); // aborted at the timeout, not after the 5 s delay
    expect(calls).toEqual(['e', 'f']); // the second call reached the provider: its charge happened
  });

  it('provider-errors fails before calling; provider-lost-response calls (charges) and loses the answer', async () => {
    calls.length = 0;
    set([{ mode: 'provider-errors' }]);
    await expect(charge('c')).rejects.toMatchObject({ name: 'ProviderUnavailableError' });
    expect(calls).toEqual([]);
    set([{ mode: 'provider-lost-response', everyNth: 1 }]);
    await expect(charge('d')).rejects.toThrow(/answer lost/);
    expect(calls).toEqual(['d']);
  });
});
