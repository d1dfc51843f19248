import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let outbox: typeof import('./outbox');
let events: typeof import('./contracts/events');

beforeAll(async () => {
  t = await useTables();
  outbox = await import('./outbox');
  events = await import('./contracts/events');
});

const orderCreated = () =>
  events.newEvent(
    'order.created',
    {
      orderId: 'o1',
      customerId: 'c1',
      merchantId: 'm1',
      items: [{ productId: 'p1', name: 'Pizza', quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } }],
      total: { amount: 2500, currency: 'EUR' },
    },
    { correlationId: 'corr-1', causationId: 'req-1' },
  );

describe('commitWithEvents', () => {
  it('writes the state change and the outbox row together', async () => {
    const event = orderCreated();
    await outbox.commitWithEvents(
      [{ Put: { TableName: t.names.orders, Item: { pk: 'ORDER#o1', sk: 'ORDER', status: 'PLACED' } } }],
      [event],
    );
    const row = await t.doc.send(new GetCommand({ TableName: t.names.outbox, Key: { pk: `EVENT#${event.detail.metadata.eventId}` } }));
    expect(row.Item).toMatchObject({ source: 'shopwave.orders', detailType: 'order.created', correlationId: 'corr-1' });
    expect(JSON.parse(row.Item!.detail)).toEqual(event.detail);
  });

  it('writes neither when a condition fails, and says which item failed', async () => {
    await t.doc.send(new PutCommand({ TableName: t.names.orders, Item: { pk: 'ORDER#o2', sk: 'ORDER', status: 'PLACED' } }));
    const before = (await t.doc.send(new ScanCommand({ TableName: t.names.outbox }))).Count;
    const err = await outbox
      .commitWithEvents(
        [{ Put: { TableName: t.names.orders, Item: { pk: 'ORDER#o2', sk: 'ORDER' }, ConditionExpression: 'attribute_not_exists(pk)' } }],
        [orderCreated()],
      )
      .catch((e: unknown) => e);
    expect(outbox.isConditionFailure(err)).toBe(true);
    expect(outbox.failedConditionIndexes(err)).toEqual([0]);
    expect((await t.doc.send(new ScanCommand({ TableName: t.names.outbox }))).Count).toBe(before);
  });
});

describe('event contract', () => {
  it('rejects an event whose data breaks the contract', () => {
    expect(() => events.newEvent('order.created', { orderId: 'o1' } as never, { correlationId: 'c', causationId: 'c' })).toThrow();
  });

  it('parses an event from the bus and refuses a wrong source', () => {
    const e = orderCreated();
    expect(events.parseEvent({ source: e.source, 'detail-type': e.detailType, detail: e.detail }).detail).toEqual(e.detail);
    expect(() => events.parseEvent({ source: 'shopwave.payments', 'detail-type': e.detailType, detail: e.detail })).toThrow(
      /must come from/,
    );
    expect(() => events.parseEvent({ source: e.source, 'detail-type': 'order.exploded', detail: e.detail })).toThrow(/unknown detail-type/);
  });
});
