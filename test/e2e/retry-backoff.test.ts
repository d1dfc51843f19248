/**
 * Retries in seconds, at real time (timeScale 1: the queues keep their 6 × function-timeout visibility, so every
 * retry seen here comes from the consumer's own backoff, functions/shared/retry-policy.ts). The payment provider
 * is an HTTP server in this process (PAYMENT_PROVIDER_URL), so the test sees each call, its idempotency key and
 * its time: a flaky provider is retried after 1 s, then 1–2 s, with the same key, and charges once; a provider that
 * stays down parks the charge in the payments DLQ within the retry window, and a redrive then charges it once; a
 * poison message reaches its DLQ in seconds, not minutes.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT, maxRetryWindowSeconds } from '../../functions/shared/retry-policy';
import { waitFor } from '../../offline/runtime/wait';
import { redrive } from '../../tools/redrive';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/** flaky: per key, a 503 before charging, then a charge whose response is lost (503), then the answer. */
type Mode = 'flaky' | 'down' | 'healthy';
const provider = { mode: 'flaky' as Mode, calls: [] as { key: string; at: number; status: number }[], charges: new Map<string, string>() };
let server: Server;
let t: TestPlatform;
let sqs: SQSClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume().on('end', () => {
      const key = String(req.headers['idempotency-key']);
      const attempt = provider.calls.filter((c) => c.key === key).length + 1;
      const charge = () => {
        if (!provider.charges.has(key)) provider.charges.set(key, `ch_${randomUUID().slice(0, 8)}`);
        return provider.charges.get(key)!;
      };
      let status = 200;
      let body: unknown;
      if (provider.mode === 'down' || (provider.mode === 'flaky' && attempt === 1)) status = 503;
      else if (provider.mode === 'flaky' && attempt === 2) {
        charge(); // charged, response lost
        status = 503;
      } else body = { chargeId: charge() };
      provider.calls.push({ key, at: Date.now(), status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: 'unavailable' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t = await startTestPlatform({
    timeScale: 1,
    extraFunctionEnv: { PAYMENT_PROVIDER_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
  });
  sqs = t.platform.sqsClient();
});
afterAll(async () => {
  await t?.stop();
  server?.closeAllConnections();
  server?.close();
});

const callsFor = (orderId: string) => provider.calls.filter((c) => c.key === `charge-${orderId}`);
const payment = async (orderId: string) =>
  (
    await t.doc.send(
      new GetCommand({ TableName: t.table('DataPayments'), Key: { pk: `ORDER#${orderId}`, sk: 'PAYMENT' }, ConsistentRead: true }),
    )
  ).Item;

async function parked(dlqPrefix: string, match: (body: any) => boolean, timeoutMs: number): Promise<{ message: Message; at: number }> {
  let found: Message | undefined;
  await waitFor(
    async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: t.platform.queueUrl(dlqPrefix),
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          AttributeNames: ['All'],
          VisibilityTimeout: 0,
        }),
      );
      found = Messages.find((m) => match(JSON.parse(m.Body!)));
      return found !== undefined;
    },
    { timeoutMs, intervalMs: 100, description: `a message in ${dlqPrefix}` },
  );
  return { message: found!, at: Date.now() };
}

describe('retries with backoff', () => {
  it('retries a flaky provider after seconds with the same idempotency key, and charges once', async () => {
    provider.mode = 'flaky';
    const orders = await Promise.all([1, 2].map(() => t.placeOrder('c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 1 }])));
    const placedAt = Date.now();
    await Promise.all(orders.map((o) => t.waitForStatus(o.body.orderId, 'DELIVERED', 45_000)));
    expect(Date.now() - placedAt).toBeLessThan(30_000); // before: each failure waited out the 180 s visibility timeout

    for (const { body } of orders) {
      const calls = callsFor(body.orderId);
      expect(calls.map((c) => c.status)).toEqual([503, 503, 200]);
      // Backoff of receive 1 is 1 s, of receive 2 1–2 s; the poller's 1 s long poll and the hop add at most a few.
      const gaps = calls.slice(1).map((c, i) => c.at - calls[i].at);
      expect(gaps[0]).toBeGreaterThanOrEqual(900);
      expect(gaps[1]).toBeGreaterThanOrEqual(900);
      for (const gap of gaps) expect(gap).toBeLessThan(10_000);
      // One charge for the key, the one the payment row names, although the provider charged on the lost response.
      expect((await payment(body.orderId))?.providerChargeId).toBe(provider.charges.get(`charge-${body.orderId}`));
    }
  });

  it('parks a charge the provider keeps refusing in the payments DLQ within the retry window; a redrive charges it once', async () => {
    provider.mode = 'down';
    const { body } = await t.placeOrder('c-bob', 'm-sushi', [{ productId: 'p-salmon-nigiri', quantity: 1 }]);
    const { message, at } = await parked('PaymentsConsumerDeadLetterQueue', (b) => b.detail?.data?.orderId === body.orderId, 60_000);
    const calls = callsFor(body.orderId);
    expect(calls).toHaveLength(MAX_RECEIVE_COUNT); // every receive asked with the same key
    const window = at - calls[0].at;
    // The four backoffs are at least 1 + 1 + 2 + 4 s and at most 1 + 2 + 4 + 8 s, plus polling and hops.
    expect(window).toBeGreaterThanOrEqual(7_500);
    expect(window).toBeLessThan((maxRetryWindowSeconds() + 15) * 1000);
    expect(JSON.parse(message.Body!)['detail-type']).toBe('inventory.reserved'); // parked as it was: redrivable
    expect((await payment(body.orderId))?.status).toBe('PENDING');

    provider.mode = 'healthy';
    expect(
      await redrive(sqs, t.platform.queueUrl('PaymentsConsumerDeadLetterQueue'), t.platform.queueUrl('PaymentsConsumerQueue')),
    ).toBeGreaterThanOrEqual(1);
    await t.waitForStatus(body.orderId, 'DELIVERED', 45_000);
    expect(provider.charges.has(`charge-${body.orderId}`)).toBe(true);
    expect((await payment(body.orderId))?.providerChargeId).toBe(provider.charges.get(`charge-${body.orderId}`));
  });

  it('parks a poison message in its DLQ within seconds, not after five visibility timeouts', async () => {
    const poisonId = randomUUID();
    const detail = {
      metadata: {
        eventId: poisonId,
        correlationId: 'poison',
        causationId: 'poison',
        occurredAt: new Date().toISOString(),
        schemaVersion: 1,
      },
      data: { orderId: 'poison-order', customerId: 'c-alice' }, // breaks the order.created contract
    };
    const sentAt = Date.now();
    await t.platform.putEvents([
      {
        Source: 'shopwave.orders',
        DetailType: 'order.created',
        Detail: JSON.stringify(detail),
        EventBusName: t.platform.model.buses[0].name,
      },
    ]);
    const { message, at } = await parked('InventoryConsumerDeadLetterQueue', (b) => b.detail?.metadata?.eventId === poisonId, 30_000);
    expect(at - sentAt).toBeLessThan(10_000); // before: 5 receives 180 s apart, 15 minutes
    expect(Number(message.Attributes!.ApproximateReceiveCount)).toBeGreaterThanOrEqual(MAX_RECEIVE_COUNT);
    expect(JSON.parse(message.Body!).detail).toEqual(detail);
  });
});
