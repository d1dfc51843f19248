import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SQSBatchResponse } from 'aws-lambda';
import { emitted } from '../../test/support/events';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DomainEvent } from '../shared/contracts/events';

let t: TestTables;
let tablet: typeof import('./tablet');
let events: typeof import('../shared/contracts/events');
let consumer: typeof import('./consumer')['handler'];
let ackTimeout: typeof import('./ack-timeout')['handler'];

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'restaurant';
  tablet = await import('./tablet');
  events = await import('../shared/contracts/events');
  // Two functions on one idempotency table: like on AWS, their keys are prefixed with their own function name.
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'restaurant-consumer';
  consumer = (await import('./consumer')).handler;
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'restaurant-ack-timeout';
  ackTimeout = (await import('./ack-timeout')).handler;
});
beforeEach(() => {
  delete process.env.RESTAURANT_ACK_DEADLINE_SECONDS; // the default, 120 s
});

const items = [{ productId: 'p-1', name: 'Pizza', quantity: 2, unitPrice: { amount: 950, currency: 'EUR' as const } }];
/** order.paid, published `secondsAgo` seconds ago (the ack-timeout queue delivers it after the deadline). */
function paid(orderId: string, merchantId = 'm1', secondsAgo = 0): DomainEvent<'order.paid'> {
  const e = events.newEvent(
    'order.paid',
    { orderId, customerId: 'c1', merchantId, items, total: { amount: 1900, currency: 'EUR' } },
    { correlationId: `corr-${orderId}`, causationId: 'x' },
  );
  e.detail.metadata.occurredAt = new Date(Date.now() - secondsAgo * 1000).toISOString();
  return e;
}
const correlation = { correlationId: 'corr', causationId: 'cause' };
const run = (handler: typeof consumer, e: DomainEvent) => handler(sqsEventOf(e), lambdaContext()) as Promise<SQSBatchResponse>;
/** Every event emitted for the order, as [detailType, data], sorted by detailType (a scan has no order). */
const emittedFor = async (orderId: string) =>
  (await emitted(t.doc, t.names.outbox, undefined, orderId))
    .map((e) => [e.detailType, e.detail.data])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe('restaurant consumer (order.paid)', () => {
  it('puts the order on the tablet with its deadline and emits restaurant.order-sent-to-tablet, once', async () => {
    const event = paid('o-send');
    expect((await run(consumer, event)).batchItemFailures).toEqual([]);
    const row = await tablet.getTabletOrder('o-send');
    expect(row).toMatchObject({ orderId: 'o-send', merchantId: 'm1', customerId: 'c1', items, status: 'SENT_TO_TABLET' });
    expect(Date.parse(row!.ackDeadline) - Date.parse(row!.sentAt)).toBe(120_000);
    const sent = await emitted(t.doc, t.names.outbox, 'restaurant.order-sent-to-tablet', 'o-send');
    expect(sent.map((e) => e.detail.data)).toEqual([{ orderId: 'o-send', merchantId: 'm1', customerId: 'c1', items }]);
    expect(sent[0].detail.metadata).toMatchObject({ correlationId: 'corr-o-send', causationId: event.detail.metadata.eventId });

    // The same event again (idempotency), and a re-run that bypasses idempotency (crash before it was saved).
    expect((await run(consumer, event)).batchItemFailures).toEqual([]);
    expect(await tablet.sendToTablet(event.detail)).toBe(false);
    expect(await emittedFor('o-send')).toHaveLength(1);
  });

  it('honours RESTAURANT_ACK_DEADLINE_SECONDS', async () => {
    process.env.RESTAURANT_ACK_DEADLINE_SECONDS = '45';
    await tablet.sendToTablet(paid('o-45').detail);
    const row = await tablet.getTabletOrder('o-45');
    expect(Date.parse(row!.ackDeadline) - Date.parse(row!.sentAt)).toBe(45_000);
  });
});

describe('tablet decisions', () => {
  it('happy path: order.paid → sent → ack → restaurant.order-received; a second ack or a reject is refused', async () => {
    await run(consumer, paid('o-ack'));
    expect(await tablet.acknowledgeOrder({ orderId: 'o-ack', merchantId: 'm1', correlation })).toBe('OK');
    const row = await tablet.getTabletOrder('o-ack');
    expect(row).toMatchObject({ status: 'RECEIVED' });
    expect(row!.acknowledgedAt).toBeDefined();
    expect(await emittedFor('o-ack')).toEqual([
      ['restaurant.order-received', { orderId: 'o-ack', merchantId: 'm1', customerId: 'c1', acknowledgedAt: row!.acknowledgedAt }],
      ['restaurant.order-sent-to-tablet', expect.anything()],
    ]);
    expect(await tablet.acknowledgeOrder({ orderId: 'o-ack', merchantId: 'm1', correlation })).toBe('ALREADY_DECIDED');
    expect(await tablet.rejectOrder({ orderId: 'o-ack', merchantId: 'm1', correlation })).toBe('ALREADY_DECIDED');
    expect(await emittedFor('o-ack')).toHaveLength(2);
  });

  it('reject: REJECTED with the merchant reason, restaurant.order-rejected REJECTED_BY_RESTAURANT; a late ack is refused', async () => {
    await run(consumer, paid('o-rej'));
    expect(await tablet.rejectOrder({ orderId: 'o-rej', merchantId: 'm1', reason: 'out of basil', correlation })).toBe('OK');
    expect(await tablet.getTabletOrder('o-rej')).toMatchObject({
      status: 'REJECTED',
      reason: 'out of basil',
      rejectedAt: expect.any(String),
    });
    expect(await tablet.acknowledgeOrder({ orderId: 'o-rej', merchantId: 'm1', correlation })).toBe('ALREADY_DECIDED');
    const rejected = await emitted(t.doc, t.names.outbox, 'restaurant.order-rejected', 'o-rej');
    expect(rejected.map((e) => e.detail.data)).toEqual([
      { orderId: 'o-rej', merchantId: 'm1', customerId: 'c1', reason: 'REJECTED_BY_RESTAURANT' },
    ]);
    expect(await emitted(t.doc, t.names.outbox, 'restaurant.order-received', 'o-rej')).toEqual([]);
  });

  it('refuses another merchant and unknown orders, and writes nothing', async () => {
    await run(consumer, paid('o-mine', 'm-owner'));
    expect(await tablet.acknowledgeOrder({ orderId: 'o-mine', merchantId: 'm-other', correlation })).toBe('WRONG_MERCHANT');
    expect(await tablet.rejectOrder({ orderId: 'o-mine', merchantId: 'm-other', correlation })).toBe('WRONG_MERCHANT');
    expect(await tablet.acknowledgeOrder({ orderId: 'o-none', merchantId: 'm-owner', correlation })).toBe('NOT_FOUND');
    expect((await tablet.getTabletOrder('o-mine'))?.status).toBe('SENT_TO_TABLET');
    expect(await tablet.getTabletOrder('o-none')).toBeUndefined();
    expect((await emittedFor('o-mine')).map(([type]) => type)).toEqual(['restaurant.order-sent-to-tablet']);
    expect(await emittedFor('o-none')).toEqual([]);
  });

  it("lists a merchant's tablet orders, newest first, and only its own", async () => {
    for (const id of ['o-l1', 'o-l2', 'o-l3']) await tablet.sendToTablet(paid(id, 'm-list').detail);
    await tablet.sendToTablet(paid('o-l-other', 'm-list-other').detail);
    expect((await tablet.listTabletOrders('m-list')).map((o) => o.orderId)).toEqual(['o-l3', 'o-l2', 'o-l1']);
    expect(await tablet.listTabletOrders('m-nobody')).toEqual([]);
  });
});

describe('ack deadline (order.paid through the delayed queue)', () => {
  it('times out an unacknowledged order: TIMED_OUT + ACK_TIMEOUT rejection; a late ack is refused', async () => {
    await run(consumer, paid('o-late'));
    expect((await run(ackTimeout, paid('o-late', 'm1', 121))).batchItemFailures).toEqual([]);
    expect(await tablet.getTabletOrder('o-late')).toMatchObject({ status: 'TIMED_OUT', reason: 'ACK_TIMEOUT' });
    expect(await tablet.acknowledgeOrder({ orderId: 'o-late', merchantId: 'm1', correlation })).toBe('ALREADY_DECIDED');
    expect(await emittedFor('o-late')).toEqual([
      ['restaurant.order-rejected', { orderId: 'o-late', merchantId: 'm1', customerId: 'c1', reason: 'ACK_TIMEOUT' }],
      ['restaurant.order-sent-to-tablet', expect.anything()],
    ]);
    // The deadline message again (a re-run without idempotency) decides nothing new.
    expect(await tablet.expireIfUnacknowledged(paid('o-late', 'm1', 121).detail)).toBe('ALREADY_DECIDED');
    expect(await emittedFor('o-late')).toHaveLength(2);
  });

  it('does nothing for an order the tablet already acknowledged or rejected', async () => {
    for (const [id, decide] of [
      ['o-acked', tablet.acknowledgeOrder],
      ['o-rejected', tablet.rejectOrder],
    ] as const) {
      await run(consumer, paid(id));
      await decide({ orderId: id, merchantId: 'm1', correlation });
      const before = await tablet.getTabletOrder(id);
      expect((await run(ackTimeout, paid(id, 'm1', 121))).batchItemFailures).toEqual([]);
      expect(await tablet.getTabletOrder(id)).toEqual(before);
      expect(await emitted(t.doc, t.names.outbox, 'restaurant.order-rejected', id)).toHaveLength(id === 'o-rejected' ? 1 : 0);
      expect((await emitted(t.doc, t.names.outbox, 'restaurant.order-rejected', id)).map((e) => e.detail.data.reason)).not.toContain(
        'ACK_TIMEOUT',
      );
    }
  });

  it('rejects (so refunds) an order the restaurant consumer never saw — seed 001 — and the late order.paid does not revive it', async () => {
    expect((await run(ackTimeout, paid('o-lost', 'm1', 121))).batchItemFailures).toEqual([]);
    expect(await tablet.getTabletOrder('o-lost')).toMatchObject({
      status: 'TIMED_OUT',
      reason: 'ACK_TIMEOUT',
      neverSent: true,
      merchantId: 'm1',
      customerId: 'c1',
    });
    expect(await emittedFor('o-lost')).toEqual([
      ['restaurant.order-rejected', { orderId: 'o-lost', merchantId: 'm1', customerId: 'c1', reason: 'ACK_TIMEOUT' }],
    ]);
    expect((await run(consumer, paid('o-lost'))).batchItemFailures).toEqual([]);
    expect((await tablet.getTabletOrder('o-lost'))?.status).toBe('TIMED_OUT');
    expect(await emittedFor('o-lost')).toHaveLength(1);
  });

  it('fails a delivery that arrives before the deadline, so SQS retries it later, and changes nothing', async () => {
    await run(consumer, paid('o-early'));
    const early = paid('o-early', 'm1', 60);
    const res = await ackTimeout(sqsEventOf(early), lambdaContext());
    expect(res?.batchItemFailures).toHaveLength(1);
    expect((await tablet.getTabletOrder('o-early'))?.status).toBe('SENT_TO_TABLET');
    expect(await emitted(t.doc, t.names.outbox, 'restaurant.order-rejected', 'o-early')).toEqual([]);
    // Not remembered as done: the same event, redelivered once the deadline has passed, times the order out.
    early.detail.metadata.occurredAt = new Date(Date.now() - 121_000).toISOString();
    expect((await run(ackTimeout, early)).batchItemFailures).toEqual([]);
    expect((await tablet.getTabletOrder('o-early'))?.status).toBe('TIMED_OUT');
  });

  it('lets exactly one of a racing acknowledgement and deadline win', async () => {
    const winners = { ack: 0, timeout: 0 };
    for (let i = 0; i < 8; i++) {
      const id = `o-race-${i}`;
      await tablet.sendToTablet(paid(id).detail);
      const [ack, timeout] = await Promise.all([
        tablet.acknowledgeOrder({ orderId: id, merchantId: 'm1', correlation }),
        tablet.expireIfUnacknowledged(paid(id, 'm1', 121).detail),
      ]);
      expect([ack === 'OK', timeout === 'TIMED_OUT'].filter(Boolean)).toHaveLength(1);
      const decisions = (await emittedFor(id)).filter(([type]) => type !== 'restaurant.order-sent-to-tablet');
      expect(decisions).toHaveLength(1);
      expect((await tablet.getTabletOrder(id))?.status).toBe(ack === 'OK' ? 'RECEIVED' : 'TIMED_OUT');
      winners[ack === 'OK' ? 'ack' : 'timeout']++;
    }
    expect(winners.ack + winners.timeout).toBe(8);
  });

  it('lets exactly one of a racing deadline and a late restaurant consumer decide an order', async () => {
    for (let i = 0; i < 5; i++) {
      const id = `o-race2-${i}`;
      await Promise.all([tablet.sendToTablet(paid(id).detail), tablet.expireIfUnacknowledged(paid(id, 'm1', 121).detail)]);
      // Whoever went first, the deadline has passed, so the order ends TIMED_OUT with one rejection.
      expect((await tablet.getTabletOrder(id))?.status).toBe('TIMED_OUT');
      expect(await emitted(t.doc, t.names.outbox, 'restaurant.order-rejected', id)).toHaveLength(1);
    }
  });
});
