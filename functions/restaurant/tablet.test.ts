import { beforeAll, describe, expect, it } from 'vitest';
import { emitted } from '../../test/support/events';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let tablet: typeof import('./tablet');
let events: typeof import('../shared/contracts/events');

beforeAll(async () => {
  t = await useTables();
  process.env.RESTAURANT_ACK_DEADLINE_SECONDS = '0'; // every order.paid is already past its deadline here
  tablet = await import('./tablet');
  events = await import('../shared/contracts/events');
});

const paid = (orderId: string, merchantId = 'm1') =>
  events.newEvent(
    'order.paid',
    { orderId, customerId: 'c1', merchantId, items: [{ productId: 'p', name: 'P', quantity: 1, unitPrice: { amount: 500, currency: 'EUR' } }], total: { amount: 500, currency: 'EUR' } },
    { correlationId: orderId, causationId: orderId },
  ).detail;
const correlation = { correlationId: 'c', causationId: 'c' };

describe('restaurant tablet', () => {
  it('sends once, and an acknowledgement emits restaurant.order-received', async () => {
    expect(await tablet.sendToTablet(paid('o-ack'))).toBe(true);
    expect(await tablet.sendToTablet(paid('o-ack'))).toBe(false);
    expect(await tablet.acknowledgeOrder({ orderId: 'o-ack', merchantId: 'm1', correlation })).toBe('OK');
    expect(await tablet.acknowledgeOrder({ orderId: 'o-ack', merchantId: 'm1', correlation })).toBe('ALREADY_DECIDED');
    expect(await emitted(t.doc, t.names.outbox, 'restaurant.order-sent-to-tablet', 'o-ack')).toHaveLength(1);
    expect(await emitted(t.doc, t.names.outbox, 'restaurant.order-received', 'o-ack')).toHaveLength(1);
    expect(await tablet.expireIfUnacknowledged(paid('o-ack'))).toBe('ALREADY_DECIDED');
  });

  it('refuses another merchant acting on the order', async () => {
    await tablet.sendToTablet(paid('o-mine', 'm-owner'));
    expect(await tablet.rejectOrder({ orderId: 'o-mine', merchantId: 'm-other', correlation })).toBe('WRONG_MERCHANT');
    expect(await tablet.rejectOrder({ orderId: 'o-none', merchantId: 'm-owner', correlation })).toBe('NOT_FOUND');
  });

  it('lets exactly one of a racing acknowledgement and deadline win', async () => {
    for (let i = 0; i < 5; i++) {
      const id = `o-race-${i}`;
      await tablet.sendToTablet(paid(id));
      const [ack, timeout] = await Promise.all([tablet.acknowledgeOrder({ orderId: id, merchantId: 'm1', correlation }), tablet.expireIfUnacknowledged(paid(id))]);
      expect([ack === 'OK', timeout === 'TIMED_OUT'].filter(Boolean)).toHaveLength(1);
      const decisions = [...(await emitted(t.doc, t.names.outbox, 'restaurant.order-received', id)), ...(await emitted(t.doc, t.names.outbox, 'restaurant.order-rejected', id))];
      expect(decisions).toHaveLength(1);
    }
  });

  it('cancels an order the restaurant consumer never saw (charged, never delivered: seed 001)', async () => {
    expect(await tablet.expireIfUnacknowledged(paid('o-lost'))).toBe('TIMED_OUT');
    const [rejection] = await emitted(t.doc, t.names.outbox, 'restaurant.order-rejected', 'o-lost');
    expect(rejection.detail.data.reason).toBe('ACK_TIMEOUT');
    // The order.paid that arrives late finds the decision made and does not put it on the tablet.
    expect(await tablet.sendToTablet(paid('o-lost'))).toBe(false);
    expect((await tablet.getTabletOrder('o-lost'))?.status).toBe('TIMED_OUT');
  });
});
