/**
 * The delivery reconciler on DynamoDB Local, driven through the real saga consumer so the sparse index is written
 * the way production writes it: a charged order the restaurant never received is lost once the deadline passes;
 * received, compensated (cancelled) and not-yet-due orders are not; each lost order is reported once.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitted } from '../../test/support/events';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import { AWAITING_RESTAURANT_INDEX } from '../../lib/constructs/data-tables';
import type { DetailType, DomainEvent, EventData } from '../shared/contracts/events';

let t: TestTables;
let store: typeof import('./order-store');
let saga: typeof import('./saga-consumer');
let reconciler: typeof import('./reconciler');
let events: typeof import('../shared/contracts/events');

const DEADLINE_SECONDS = 120;

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'orders';
  process.env.DELIVERY_SLI_SECONDS = String(DEADLINE_SECONDS);
  process.env.AWAITING_RESTAURANT_INDEX = AWAITING_RESTAURANT_INDEX;
  store = await import('./order-store');
  saga = await import('./saga-consumer');
  reconciler = await import('./reconciler');
  events = await import('../shared/contracts/events');
});

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const NOW = new Date('2030-06-01T12:00:00.000Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

async function placed(orderId: string) {
  await t.doc.send(
    new PutCommand({
      TableName: t.names.orders,
      Item: {
        ...store.orderKey(orderId),
        orderId,
        customerId: 'c1',
        merchantId: 'm1',
        items: [{ productId: 'p1', name: 'Pizza', quantity: 1, unitPrice: eur(900) }],
        total: eur(900),
        status: 'RESERVED',
        statusRank: 1,
        milestones: { PLACED: ago(600), RESERVED: ago(590) },
        createdAt: ago(600),
        updatedAt: ago(590),
        correlationId: `corr-${orderId}`,
      },
    }),
  );
}

function ev<T extends DetailType>(type: T, data: EventData<T>, occurredAt: string): DomainEvent<T> {
  const e = events.newEvent(type, data, { correlationId: `corr-${data.orderId}`, causationId: 'cause' });
  return { ...e, detail: { ...e.detail, metadata: { ...e.detail.metadata, occurredAt } } };
}
const deliver = async (...es: DomainEvent[]) =>
  (await saga.handler(sqsEventOf(...es), lambdaContext('orders-saga'))).batchItemFailures.length;
const charge = (orderId: string, secondsAgo: number) =>
  ev(
    'payment.processed',
    { orderId, customerId: 'c1', paymentId: `pay_${orderId}`, amount: eur(900), providerChargeId: 'ch' },
    ago(secondsAgo),
  );

describe('delivery reconciler', () => {
  it('finds exactly the charged orders the restaurant has not received within the deadline', async () => {
    const run = `r${Date.now()}`;
    const [lost, lostOlder, received, fresh, compensated, neverCharged] = ['lost', 'older', 'received', 'fresh', 'comp', 'never'].map(
      (n) => `${run}-${n}`,
    );
    for (const id of [lost, lostOlder, received, fresh, compensated, neverCharged]) await placed(id);

    expect(
      await deliver(charge(lost, 300), charge(lostOlder, 500), charge(received, 400), charge(fresh, 30), charge(compensated, 400)),
    ).toBe(0);
    expect(
      await deliver(
        ev('restaurant.order-received', { orderId: received, merchantId: 'm1', customerId: 'c1', acknowledgedAt: ago(390) }, ago(390)),
      ),
    ).toBe(0);
    // Compensation: the restaurant (ack deadline) rejected it, then refund and release → CANCELLED.
    expect(
      await deliver(
        ev('restaurant.order-rejected', { orderId: compensated, merchantId: 'm1', customerId: 'c1', reason: 'ACK_TIMEOUT' }, ago(200)),
        ev(
          'payment.refunded',
          { orderId: compensated, customerId: 'c1', paymentId: `pay_${compensated}`, amount: eur(900), reason: 'ACK_TIMEOUT' },
          ago(199),
        ),
        ev('inventory.released', { orderId: compensated, items: [{ productId: 'p1', quantity: 1 }], reason: 'ACK_TIMEOUT' }, ago(199)),
      ),
    ).toBe(0);
    expect((await store.getOrder(compensated))?.status).toBe('CANCELLED');

    const result = await reconciler.reconcile(NOW);
    const published = await emitted(t.doc, t.names.outbox, 'order.delivery-overdue');
    const mine = result.lost.filter((o) => o.orderId.startsWith(run));
    expect(mine.map((o) => o.orderId)).toEqual([lostOlder, lost]); // oldest first
    expect(mine.map((o) => o.correlationId)).toEqual([`corr-${lostOlder}`, `corr-${lost}`]);
    expect(result.oldestAwaitingSeconds).toBeGreaterThanOrEqual(500);

    const overdue = published.filter((e) => String(e.detail.data.orderId).startsWith(run));
    expect(overdue.map((e) => e.detail.data.orderId).sort()).toEqual([lost, lostOlder].sort());
    expect(overdue.find((e) => e.detail.data.orderId === lost)!.detail).toMatchObject({
      data: { overdueSeconds: 300, chargedAt: ago(300), total: eur(900) },
      metadata: { correlationId: `corr-${lost}` },
    });

    // A second run still counts them (they are still lost) but reports none again.
    const again = await reconciler.reconcile(new Date(NOW.getTime() + 60_000));
    expect(again.lost.filter((o) => o.orderId.startsWith(run))).toHaveLength(2);
    expect(again.reported).toBe(0);
    expect(
      (await emitted(t.doc, t.names.outbox, 'order.delivery-overdue')).filter((e) => String(e.detail.data.orderId).startsWith(run)),
    ).toHaveLength(2);

    // Received late: it leaves the index and stops being lost (while `fresh`, 150 s old by then, becomes lost).
    expect(
      await deliver(
        ev(
          'restaurant.order-received',
          { orderId: lost, merchantId: 'm1', customerId: 'c1', acknowledgedAt: NOW.toISOString() },
          NOW.toISOString(),
        ),
      ),
    ).toBe(0);
    const after = await reconciler.reconcile(new Date(NOW.getTime() + 120_000));
    expect(after.lost.filter((o) => o.orderId.startsWith(run)).map((o) => o.orderId)).toEqual([lostOlder, fresh]);
    const row = (await t.doc.send(new GetCommand({ TableName: t.names.orders, Key: store.orderKey(lost) }))).Item!;
    expect(row.awaitingRestaurant).toBeUndefined();
    expect(row.overdueReportedAt).toBeDefined();
  });
});
