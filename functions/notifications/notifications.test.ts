import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let consumer: typeof import('./consumer');
let notifications: typeof import('./notifications');
let events: typeof import('../shared/contracts/events');

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'notifications';
  events = await import('../shared/contracts/events');
  notifications = await import('./notifications');
  consumer = await import('./consumer');
});

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const line = { productId: 'p1', name: 'Pizza', quantity: 2, unitPrice: eur(625) };
const at = new Date().toISOString();
/** One event of every subscribed type for `orderId`, all for customer `customerId`. */
function sagaEvents(orderId: string, customerId: string) {
  const cause = { correlationId: `corr-${orderId}`, causationId: 'test' };
  return [
    events.newEvent('order.created', { orderId, customerId, merchantId: 'm1', items: [line], total: eur(1250) }, cause),
    events.newEvent('inventory.rejected', { orderId, customerId, reason: 'OUT_OF_STOCK', productIds: ['p1'] }, cause),
    events.newEvent('payment.failed', { orderId, customerId, amount: eur(1250), reason: 'card declined' }, cause),
    events.newEvent('order.paid', { orderId, customerId, merchantId: 'm1', items: [line], total: eur(1250) }, cause),
    events.newEvent('restaurant.order-rejected', { orderId, customerId, merchantId: 'm1', reason: 'ACK_TIMEOUT' }, cause),
    events.newEvent('order.shipped', { orderId, customerId, merchantId: 'm1', shipmentId: 's1', courierId: 'k1' }, cause),
    events.newEvent('order.delivered', { orderId, customerId, shipmentId: 's1', deliveredAt: at }, cause),
    events.newEvent(
      'payment.refunded',
      { orderId, customerId, paymentId: 'pay1', amount: eur(1250), reason: 'restaurant rejected' },
      cause,
    ),
    events.newEvent('order.cancelled', { orderId, customerId, reason: 'the restaurant did not confirm the order in time' }, cause),
  ];
}
const run = (...e: ReturnType<typeof sagaEvents>) => consumer.handler(sqsEventOf(...e), lambdaContext('notifications'));

describe('notifications consumer', () => {
  it('records one simulated e-mail per subscribed event, rendered from its data', async () => {
    const all = sagaEvents('o-1', 'c-1');
    expect(await run(...all)).toEqual({ batchItemFailures: [] });
    const sent = await notifications.notificationsOf('c-1');
    expect(sent).toHaveLength(9);
    expect(new Set(sent.map((n) => n.detailType))).toEqual(new Set(all.map((e) => e.detailType)));
    for (const n of sent) {
      expect(n).toMatchObject({ customerId: 'c-1', orderId: 'o-1', channel: 'simulated-email', correlationId: 'corr-o-1' });
      expect(n.subject.length).toBeGreaterThan(0);
      expect(n.body).toContain('o-1');
    }
    const byType = Object.fromEntries(sent.map((n) => [n.detailType, n]));
    expect(byType['payment.failed'].body).toBe('Your payment of 12.50 EUR for order o-1 was declined. You were not charged.');
    expect(byType['restaurant.order-rejected'].body).toBe(
      'Order o-1 was not confirmed by the restaurant in time; a full refund is on its way.',
    );
    expect(byType['inventory.rejected'].body).toContain('sold out');
    expect(byType['order.created'].eventId).toBe(all[0].detail.metadata.eventId);
  });

  it('never notifies twice for one event: duplicate delivery, and a re-run after the idempotency record is lost', async () => {
    const [created, , , paid] = sagaEvents('o-2', 'c-2');
    expect(await run(created, paid)).toEqual({ batchItemFailures: [] });
    expect(await run(created)).toEqual({ batchItemFailures: [] }); // a second delivery (new bus id, same event id)
    // A crash between the put and the idempotency save: the handler runs again for the same event.
    for (const row of (await t.doc.send(new ScanCommand({ TableName: t.names.idempotency }))).Items ?? []) {
      await t.doc.send(new DeleteCommand({ TableName: t.names.idempotency, Key: { id: row.id } }));
    }
    expect(await run(created, paid)).toEqual({ batchItemFailures: [] });
    expect(await notifications.notify('order.created', created.detail)).toBeUndefined();
    expect((await notifications.notificationsOf('c-2')).map((n) => n.detailType).sort()).toEqual(['order.created', 'order.paid']);
  });

  it('fails, rather than drops, an event type it is not subscribed to', async () => {
    const tracking = events.newEvent(
      'tracking.updated',
      { orderId: 'o-3', shipmentId: 's1', status: 'EN_ROUTE', location: { lat: 1, lng: 2 }, at },
      { correlationId: 'corr-o-3', causationId: 'test' },
    );
    const event = sqsEventOf(tracking);
    expect(await consumer.handler(event, lambdaContext('notifications'))).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[0].messageId }],
    });
    const rows = (await t.doc.send(new ScanCommand({ TableName: t.names.notifications }))).Items ?? [];
    expect(rows.filter((r) => r.orderId === 'o-3')).toEqual([]);
  });
});
