import { PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitted } from '../../test/support/events';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let payments: typeof import('./payments');
let events: typeof import('../shared/contracts/events');
let hanging: Server;

beforeAll(async () => {
  t = await useTables();
  process.env.PAYMENT_SIMULATOR_CONFIG = JSON.stringify({ latencyMs: 0, declinedPaymentMethods: ['tok_declined'], failureRate: 0 });
  payments = await import('./payments');
  events = await import('../shared/contracts/events');
  for (const [id, token] of [['c-ok', 'tok_visa'], ['c-no', 'tok_declined']]) {
    await t.doc.send(new PutCommand({ TableName: t.names.customers, Item: { pk: `CUSTOMER#${id}`, sk: 'PROFILE', customerId: id, paymentMethod: token } }));
  }
  hanging = createServer(() => undefined).listen(0, '127.0.0.1'); // accepts, never answers
});
afterAll(() => hanging?.close());

const reserved = (orderId: string, customerId = 'c-ok') =>
  events.newEvent('inventory.reserved', { orderId, customerId, merchantId: 'm1', items: [{ productId: 'p', quantity: 1 }], total: { amount: 1234, currency: 'EUR' } }, { correlationId: orderId, causationId: orderId }).detail;
const rejected = (orderId: string) =>
  events.newEvent('restaurant.order-rejected', { orderId, customerId: 'c-ok', merchantId: 'm1', reason: 'ACK_TIMEOUT' }, { correlationId: orderId, causationId: orderId }).detail;
const ledger = async (prefix: string) => ((await t.doc.send(new ScanCommand({ TableName: t.names.providerLedger, ConsistentRead: true }))).Items ?? []).filter((i) => String(i.pk).startsWith(prefix));

describe('payments', () => {
  it('charges once when the same reservation is delivered twice, concurrently', async () => {
    const outcomes = await Promise.all([payments.charge(reserved('dup')), payments.charge(reserved('dup'))]);
    expect(outcomes).toContain('CHARGED');
    expect(await ledger('charge-dup')).toHaveLength(1);
    expect(await emitted(t.doc, t.names.outbox, 'payment.processed', 'dup')).toHaveLength(1);
    expect(await payments.getPayment('dup')).toMatchObject({ status: 'CHARGED', amount: { amount: 1234, currency: 'EUR' } });
  });

  it('charges once when a run died between the provider and the commit', async () => {
    await payments.charge(reserved('crash'));
    const charge = (await ledger('charge-crash'))[0].result.chargeId;
    // Back to the state a crash after the provider call leaves: PENDING, outcome known only to the provider.
    await t.doc.send(new UpdateCommand({ TableName: t.names.payments, Key: { pk: 'ORDER#crash', sk: 'PAYMENT' }, UpdateExpression: 'SET #s = :p', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':p': 'PENDING' } }));
    await payments.charge(reserved('crash'));
    expect(await ledger('charge-crash')).toHaveLength(1);
    expect((await payments.getPayment('crash'))?.providerChargeId).toBe(charge);
  });

  it('records a decline as FAILED with payment.failed', async () => {
    expect(await payments.charge(reserved('declined', 'c-no'))).toBe('DECLINED');
    expect(await payments.getPayment('declined')).toMatchObject({ status: 'FAILED' });
    expect(await emitted(t.doc, t.names.outbox, 'payment.failed', 'declined')).toHaveLength(1);
  });

  it('gives up on a hung HTTP provider at the timeout, leaves the payment PENDING, and a retry charges once', async () => {
    process.env.PAYMENT_PROVIDER_TIMEOUT_MS = '200';
    process.env.PAYMENT_PROVIDER_URL = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const started = Date.now();
    await expect(payments.charge(reserved('hung'))).rejects.toThrow(/did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await payments.getPayment('hung')).toMatchObject({ status: 'PENDING' });
    expect(await emitted(t.doc, t.names.outbox, undefined, 'hung')).toEqual([]);
    delete process.env.PAYMENT_PROVIDER_URL;
    delete process.env.PAYMENT_PROVIDER_TIMEOUT_MS;
    expect(await payments.charge(reserved('hung'))).toBe('CHARGED');
    expect(await ledger('charge-hung')).toHaveLength(1);
  });

  it('refunds a charged order exactly once, and does nothing for an unpaid one', async () => {
    await payments.charge(reserved('refund-me'));
    const outcomes = await Promise.all([payments.refund(rejected('refund-me')), payments.refund(rejected('refund-me'))]);
    expect(outcomes).toContain('REFUNDED');
    expect(await ledger('refund-refund-me')).toHaveLength(1);
    expect(await emitted(t.doc, t.names.outbox, 'payment.refunded', 'refund-me')).toHaveLength(1);
    expect(await payments.refund(rejected('never-paid'))).toBe('NOTHING_TO_REFUND');
  });
});
