import { DeleteCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { emitted } from '../../test/support/events';
import { lambdaContext, sqsEventOf } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DetailType, DomainEvent } from '../shared/contracts/events';

let t: TestTables;
let payments: typeof import('./payments');
let provider: typeof import('./provider');
let consumer: typeof import('./consumer');
let events: typeof import('../shared/contracts/events');
const servers: Server[] = [];

const SIMULATOR = { latencyMs: 0, declinedPaymentMethods: ['tok_declined'], failureRate: 0 };

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'payments';
  process.env.PAYMENT_SIMULATOR_CONFIG = JSON.stringify(SIMULATOR);
  payments = await import('./payments');
  provider = await import('./provider');
  consumer = await import('./consumer');
  events = await import('../shared/contracts/events');
  for (const [id, token] of [
    ['c-ok', 'tok_visa'],
    ['c-no', 'tok_declined'],
    ['c-none', undefined],
  ]) {
    await t.doc.send(
      new PutCommand({ TableName: t.names.customers, Item: { pk: `CUSTOMER#${id}`, sk: 'PROFILE', customerId: id, paymentMethod: token } }),
    );
  }
});
afterEach(() => {
  process.env.PAYMENT_SIMULATOR_CONFIG = JSON.stringify(SIMULATOR);
  delete process.env.PAYMENT_PROVIDER_URL;
  delete process.env.PAYMENT_PROVIDER_TIMEOUT_MS;
});
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function listen(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => handler(req, body, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const cause = (orderId: string) => ({ correlationId: `corr-${orderId}`, causationId: 'x' });
const reserved = (orderId: string, customerId = 'c-ok') =>
  events.newEvent(
    'inventory.reserved',
    { orderId, customerId, merchantId: 'm1', items: [{ productId: 'p', quantity: 1 }], total: eur(1234) },
    cause(orderId),
  );
const rejected = (orderId: string) =>
  events.newEvent('restaurant.order-rejected', { orderId, customerId: 'c-ok', merchantId: 'm1', reason: 'ACK_TIMEOUT' }, cause(orderId));
const rerun = <T extends DetailType>(e: DomainEvent<T>): DomainEvent<T> => ({
  ...e,
  detail: { ...e.detail, metadata: { ...e.detail.metadata, eventId: randomUUID() } },
});

const deliver = async (...es: DomainEvent[]) =>
  (await consumer.handler(sqsEventOf(...es), lambdaContext('payments'))).batchItemFailures.length;
const ledger = async (key: string) =>
  ((await t.doc.send(new ScanCommand({ TableName: t.names.providerLedger, ConsistentRead: true }))).Items ?? []).filter(
    (i) => i.pk === key,
  );
const emittedFor = (orderId: string) => emitted(t.doc, t.names.outbox, undefined, orderId);

describe('charging', () => {
  it('charges once when the same reservation is delivered twice, concurrently and as a re-run', async () => {
    const event = reserved('dup');
    const copies = [event, rerun(event), rerun(event)];
    expect(await Promise.all(copies.map((e) => deliver(e)))).toEqual([0, 0, 0]);
    expect(await deliver(rerun(event))).toBe(0);
    const [entry] = await ledger('charge-dup');
    expect((await ledger('charge-dup')).length).toBe(1);
    const chargeId = entry.result.chargeId;
    expect(await payments.getPayment('dup')).toMatchObject({
      orderId: 'dup',
      paymentId: 'pay_dup',
      customerId: 'c-ok',
      amount: eur(1234),
      status: 'CHARGED',
      providerChargeId: chargeId,
    });
    const out = await emittedFor('dup');
    expect(out.map((e) => e.detailType)).toEqual(['payment.processed']);
    expect(out[0].detail.data).toEqual({
      orderId: 'dup',
      customerId: 'c-ok',
      paymentId: 'pay_dup',
      amount: eur(1234),
      providerChargeId: chargeId,
    });
    // Caused by whichever copy won the race, and by nothing else.
    expect(out[0].detail.metadata.correlationId).toBe('corr-dup');
    expect(copies.map((e) => e.detail.metadata.eventId)).toContain(out[0].detail.metadata.causationId);
  });

  it('charges once when a run died between the provider call and the commit', async () => {
    // What the dead run left behind: the PENDING row, and a charge the provider made under our key.
    const at = new Date().toISOString();
    await t.doc.send(
      new PutCommand({
        TableName: t.names.payments,
        Item: {
          pk: 'ORDER#crash',
          sk: 'PAYMENT',
          orderId: 'crash',
          paymentId: 'pay_crash',
          customerId: 'c-ok',
          amount: eur(1234),
          status: 'PENDING',
          createdAt: at,
        },
      }),
    );
    const first = await provider
      .createPaymentProvider()
      .charge({ idempotencyKey: 'charge-crash', amount: eur(1234), customerId: 'c-ok', paymentMethod: 'tok_visa' });
    expect(first.outcome).toBe('CHARGED');

    expect(await deliver(reserved('crash'))).toBe(0); // the redelivery
    expect(await ledger('charge-crash')).toHaveLength(1);
    const chargeId = (first as { chargeId: string }).chargeId;
    expect(await payments.getPayment('crash')).toMatchObject({ status: 'CHARGED', providerChargeId: chargeId });
    expect((await emittedFor('crash')).map((e) => [e.detailType, e.detail.data.providerChargeId])).toEqual([
      ['payment.processed', chargeId],
    ]);
  });

  it('fails the record on transient provider errors, and the retry charges once', async () => {
    process.env.PAYMENT_SIMULATOR_CONFIG = JSON.stringify({ ...SIMULATOR, failureRate: 1 });
    const event = reserved('flaky');
    expect(await deliver(event)).toBe(1);
    expect(await deliver(event)).toBe(1); // a failed attempt leaves no idempotency record: it is retried
    expect(await payments.getPayment('flaky')).toMatchObject({ status: 'PENDING' });
    expect(await emittedFor('flaky')).toEqual([]);
    process.env.PAYMENT_SIMULATOR_CONFIG = JSON.stringify(SIMULATOR);
    expect(await deliver(event)).toBe(0);
    expect(await ledger('charge-flaky')).toHaveLength(1); // even if an earlier attempt charged and lost the answer
    expect((await emittedFor('flaky')).map((e) => e.detailType)).toEqual(['payment.processed']);
  });

  it('retries a charge that timed out after the provider made it with the same key: charged once, the replay on the ledger', async () => {
    // Seed 003: the provider processes the charge and answers after the timeout (game-day fault provider-latency, after).
    process.env.SHOPWAVE_FAULTS = JSON.stringify([{ mode: 'provider-latency', everyNth: 1, delayMs: 5000, phase: 'after' }]);
    process.env.PAYMENT_PROVIDER_TIMEOUT_MS = '200';
    const { metrics } = await import('../shared/powertools');
    const timings: number[] = [];
    const spy = vi.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      if (name === 'PaymentProviderCallMs') timings.push(value);
      return metrics;
    });
    try {
      const event = reserved('late');
      expect(await deliver(event)).toBe(1); // timed out: the record is retried
      expect(await payments.getPayment('late')).toMatchObject({ status: 'PENDING' });
      const [charged] = await ledger('charge-late');
      expect(charged).toMatchObject({ kind: 'charge', reference: 'late', result: { outcome: 'CHARGED' } });
      expect(charged.replays).toBeUndefined();
      delete process.env.SHOPWAVE_FAULTS;
      expect(await deliver(event)).toBe(0); // the retry, same key: the provider answers from its first outcome
      const entries = await ledger('charge-late');
      expect(entries).toHaveLength(1);
      expect(entries[0].replays).toBe(1);
      expect(await payments.getPayment('late')).toMatchObject({ status: 'CHARGED', providerChargeId: charged.result.chargeId });
      // Both calls were timed: the cut-off one at the timeout, not at the provider's 5 s.
      expect(timings).toHaveLength(2);
      expect(timings[0]).toBeGreaterThanOrEqual(190);
      expect(timings[0]).toBeLessThan(2000);
    } finally {
      spy.mockRestore();
      delete process.env.SHOPWAVE_FAULTS;
    }
  });

  it('records a decline as FAILED with payment.failed, and a re-run changes nothing', async () => {
    const event = reserved('declined', 'c-no');
    expect(await deliver(event)).toBe(0);
    expect(await deliver(rerun(event))).toBe(0);
    expect(await payments.getPayment('declined')).toMatchObject({ status: 'FAILED', failureReason: 'card declined' });
    const out = await emittedFor('declined');
    expect(out.map((e) => e.detailType)).toEqual(['payment.failed']);
    expect(out[0].detail.data).toEqual({ orderId: 'declined', customerId: 'c-no', amount: eur(1234), reason: 'card declined' });
    expect((await ledger('charge-declined')).map((e) => e.result)).toEqual([{ outcome: 'DECLINED', reason: 'card declined' }]);
  });

  it('declines without calling the provider when the customer has no payment method', async () => {
    expect(await deliver(reserved('no-method', 'c-none'))).toBe(0);
    expect(await payments.getPayment('no-method')).toMatchObject({ status: 'FAILED', failureReason: 'no payment method on file' });
    expect((await emittedFor('no-method')).map((e) => e.detailType)).toEqual(['payment.failed']);
    expect(await ledger('charge-no-method')).toEqual([]);
  });
});

describe('the HTTP provider', () => {
  it('aborts a hung provider at PAYMENT_PROVIDER_TIMEOUT_MS: the record fails, the payment stays PENDING', async () => {
    process.env.PAYMENT_PROVIDER_URL = await listen(() => undefined); // accepts, never answers
    process.env.PAYMENT_PROVIDER_TIMEOUT_MS = '200';
    const event = reserved('hung');
    const started = performance.now();
    expect(await deliver(event)).toBe(1);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2000);
    expect(await payments.getPayment('hung')).toMatchObject({ status: 'PENDING' });
    expect(await emittedFor('hung')).toEqual([]);
  });

  it('posts JSON with the Idempotency-Key header, and maps 402 to a decline', async () => {
    const seen: { path?: string; key?: string | string[]; body: unknown }[] = [];
    process.env.PAYMENT_PROVIDER_URL = await listen((req, body, res) => {
      seen.push({ path: req.url, key: req.headers['idempotency-key'], body: JSON.parse(body) });
      const declined = JSON.parse(body).paymentMethod === 'tok_declined';
      res
        .writeHead(declined ? 402 : 200, { 'content-type': 'application/json' })
        .end(JSON.stringify(declined ? { reason: 'insufficient funds' } : { chargeId: 'ch_http_1' }));
    });
    expect(await deliver(reserved('via-http'))).toBe(0);
    expect(await deliver(reserved('via-http-declined', 'c-no'))).toBe(0);
    expect(seen).toEqual([
      { path: '/charges', key: 'charge-via-http', body: { amount: eur(1234), customerId: 'c-ok', paymentMethod: 'tok_visa' } },
      { path: '/charges', key: 'charge-via-http-declined', body: { amount: eur(1234), customerId: 'c-no', paymentMethod: 'tok_declined' } },
    ]);
    expect(await payments.getPayment('via-http')).toMatchObject({ status: 'CHARGED', providerChargeId: 'ch_http_1' });
    expect(await payments.getPayment('via-http-declined')).toMatchObject({ status: 'FAILED', failureReason: 'insufficient funds' });
  });

  it('treats a 503 as transient (retry), not as a decline', async () => {
    process.env.PAYMENT_PROVIDER_URL = await listen((_req, _body, res) => res.writeHead(503).end());
    expect(await deliver(reserved('http-503'))).toBe(1);
    expect(await payments.getPayment('http-503')).toMatchObject({ status: 'PENDING' });
    expect(await emittedFor('http-503')).toEqual([]);
  });
});

describe('refunds', () => {
  it('refunds a charged order exactly once when the rejection is delivered twice', async () => {
    expect(await deliver(reserved('refund-me'))).toBe(0);
    const rejection = rejected('refund-me');
    expect(await Promise.all([deliver(rejection), deliver(rerun(rejection)), deliver(rerun(rejection))])).toEqual([0, 0, 0]);
    expect(await ledger('refund-refund-me')).toHaveLength(1);
    expect(await payments.getPayment('refund-me')).toMatchObject({
      status: 'REFUNDED',
      refundId: (await ledger('refund-refund-me'))[0].result.refundId,
    });
    const refunds = await emitted(t.doc, t.names.outbox, 'payment.refunded', 'refund-me');
    expect(refunds.map((e) => e.detail.data)).toEqual([
      { orderId: 'refund-me', customerId: 'c-ok', paymentId: 'pay_refund-me', amount: eur(1234), reason: 'ACK_TIMEOUT' },
    ]);
  });

  it('does nothing for an order that was never charged (no payment, or FAILED)', async () => {
    expect(await deliver(rejected('never-paid'))).toBe(0);
    expect(await payments.getPayment('never-paid')).toBeUndefined();
    expect(await deliver(reserved('declined-then-rejected', 'c-no'))).toBe(0);
    expect(await deliver(rejected('declined-then-rejected'))).toBe(0);
    expect(await payments.getPayment('declined-then-rejected')).toMatchObject({ status: 'FAILED' });
    expect([...(await ledger('refund-never-paid')), ...(await ledger('refund-declined-then-rejected'))]).toEqual([]);
    expect(await emitted(t.doc, t.names.outbox, 'payment.refunded')).toHaveLength(1); // only refund-me's
  });

  it('retries a refund while the charge is still PENDING', async () => {
    await t.doc.send(
      new PutCommand({
        TableName: t.names.payments,
        Item: {
          pk: 'ORDER#pending',
          sk: 'PAYMENT',
          orderId: 'pending',
          paymentId: 'pay_pending',
          customerId: 'c-ok',
          amount: eur(1),
          status: 'PENDING',
          createdAt: new Date().toISOString(),
        },
      }),
    );
    expect(await deliver(rejected('pending'))).toBe(1);
    expect(await payments.getPayment('pending')).toMatchObject({ status: 'PENDING' });
  });
});

describe('behind the provider circuit breaker', () => {
  const breakerKey = { pk: 'BREAKER#payment-provider', sk: 'STATE' };
  afterEach(async () => {
    await t.doc.send(new DeleteCommand({ TableName: t.names.payments, Key: breakerKey }));
  });

  it('holds the order while the breaker is open (no provider call), then charges it once when it has closed', async () => {
    // Open, as another environment left it: the cool-down ends in the future.
    await t.doc.send(
      new PutCommand({
        TableName: t.names.payments,
        Item: { ...breakerKey, state: 'OPEN', consecutiveFailures: 0, openUntil: Date.now() + 60_000, reason: 'test' },
      }),
    );
    const event = reserved('held');
    expect(await deliver(event)).toBe(1); // the record fails: SQS brings it back
    expect(await payments.getPayment('held')).toMatchObject({ status: 'PENDING' }); // held, not failed
    expect(await ledger('charge-held')).toEqual([]); // the provider was not called
    expect(await emittedFor('held')).toEqual([]);

    // The cool-down is over: the redelivered record is the half-open probe, succeeds, and closes the breaker.
    await t.doc.send(
      new PutCommand({
        TableName: t.names.payments,
        Item: { ...breakerKey, state: 'OPEN', consecutiveFailures: 0, openUntil: Date.now() - 1 },
      }),
    );
    expect(await deliver(rerun(event))).toBe(0);
    expect(await payments.getPayment('held')).toMatchObject({ status: 'CHARGED', correlationId: 'corr-held' });
    expect(await ledger('charge-held')).toHaveLength(1);
    expect((await emittedFor('held')).map((e) => e.detailType)).toEqual(['payment.processed']);
    const breaker = (await t.doc.send(new GetCommand({ TableName: t.names.payments, Key: breakerKey, ConsistentRead: true }))).Item;
    expect(breaker).toMatchObject({ state: 'CLOSED' });
  });

  it('opens after consecutive provider failures and then stops calling the provider', async () => {
    let calls = 0;
    process.env.PAYMENT_PROVIDER_URL = await listen((_req, _body, res) => {
      calls++;
      res.writeHead(503).end('{}');
    });
    process.env.PAYMENT_BREAKER_FAILURES = '3';
    try {
      for (let i = 0; i < 3; i++) expect(await deliver(reserved(`outage-${i}`))).toBe(1);
      expect(calls).toBe(3);
      expect(await deliver(reserved('outage-3'))).toBe(1);
      expect(calls).toBe(3); // refused by the breaker: nothing sent
      const breaker = (await t.doc.send(new GetCommand({ TableName: t.names.payments, Key: breakerKey, ConsistentRead: true }))).Item;
      expect(breaker).toMatchObject({ state: 'OPEN' });
      expect(await payments.getPayment('outage-3')).toMatchObject({ status: 'PENDING' });
    } finally {
      delete process.env.PAYMENT_BREAKER_FAILURES;
    }
  });
});
