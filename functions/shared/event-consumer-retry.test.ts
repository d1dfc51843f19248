/**
 * The shared consumer schedules its own retries (retry-policy.ts), on the real emulators: records received from a
 * fauxqs queue (VisibilityTimeout 180, maxReceiveCount 5, as CDK builds them), handled by createEventConsumer with
 * its idempotency table in DynamoDB Local. A transient failure is hidden for its backoff, not the queue's 180 s; a
 * permanent one (the handler's validation failure, a detail-type with no handler, a body that is not JSON) is
 * visible at once and parked in the DLQ after its five receives; the last receive of a transient one parks it too.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { startFauxqs } from 'fauxqs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busEvent, lambdaContext } from '../../test/support/lambda';
import { useTables } from '../../test/support/tables';
import type { DomainEvent } from './contracts/events';

let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;
let events: typeof import('./contracts/events');
let consumer: typeof import('./event-consumer');
let handler: ReturnType<typeof import('./event-consumer').createEventConsumer>;
/** The handler fails by order id: `transient-…` with a provider 503 (until recovered), `permanent-…` a validation failure. */
const recovered = new Set<string>();

beforeAll(async () => {
  await useTables();
  fauxqs = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${fauxqs.port}`;
  sqs = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    useQueueUrlAsEndpoint: false,
  });
  dlqUrl = fauxqs.createQueue('retry-dlq', { region: 'us-east-1' }).queueUrl;
  queueUrl = fauxqs.createQueue('retry', {
    region: 'us-east-1',
    attributes: {
      VisibilityTimeout: '180',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:retry-dlq', maxReceiveCount: 5 }),
    },
  }).queueUrl;
  process.env.AWS_ENDPOINT_URL_SQS = endpoint;
  process.env.CONSUMER_QUEUE_URL = queueUrl;
  events = await import('./contracts/events');
  consumer = await import('./event-consumer');
  const { ProviderUnavailableError } = await import('../payments/provider/types');
  const { PermanentError } = await import('./retry-policy');
  handler = consumer.createEventConsumer(['order.created'], {
    'order.created': async ({ envelope }) => {
      const { orderId } = envelope.data;
      if (orderId.startsWith('transient-') && !recovered.has(orderId)) throw new ProviderUnavailableError('payment provider answered 503');
      if (orderId.startsWith('permanent-')) throw new PermanentError('quantity must be positive');
    },
  });
});
afterAll(() => fauxqs?.stop());

const created = (kind: 'ok' | 'transient' | 'permanent', orderId = `${kind}-${randomUUID()}`): DomainEvent =>
  events.newEvent(
    'order.created',
    {
      orderId,
      customerId: 'c',
      merchantId: 'm',
      items: [{ productId: 'p', name: 'P', quantity: 1, unitPrice: { amount: 100, currency: 'EUR' } }],
      total: { amount: 100, currency: 'EUR' },
    },
    { correlationId: 'corr', causationId: 'cause' },
  );

const receive = async (url = queueUrl): Promise<Message[]> =>
  (
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    )
  ).Messages ?? [];

/** As the event source mapping does: the received messages as an SQS event, then delete what did not fail. */
async function deliver(messages: Message[]): Promise<string[]> {
  const event = {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: m.Attributes,
      messageAttributes: {},
      md5OfBody: m.MD5OfBody!,
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:retry',
      awsRegion: 'us-east-1',
    })),
  } as unknown as SQSEvent;
  const failed = (await handler(event, lambdaContext('retry-consumer'))).batchItemFailures.map((f) => f.itemIdentifier);
  for (const m of messages.filter((m) => !failed.includes(m.MessageId!)))
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  return failed;
}

const send = async (body: unknown) =>
  (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: typeof body === 'string' ? body : JSON.stringify(body) })))
    .MessageId!;

async function receiveWithin(ms: number, url = queueUrl): Promise<{ messages: Message[]; afterMs: number }> {
  const started = Date.now();
  for (let i = 0; i < 1000 && Date.now() - started < ms; i++) {
    const messages = await receive(url);
    if (messages.length) return { messages, afterMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, 50));
  }
  return { messages: [], afterMs: Date.now() - started };
}

describe('the consumer schedules its retries', () => {
  it('hides a transient failure for its backoff (1 s, then 1–2 s), not the 180 s visibility timeout', async () => {
    const orderId = `transient-${randomUUID()}`;
    const id = await send(busEvent(created('transient', orderId)));
    let [m] = await receive();
    expect(await deliver([m])).toEqual([id]);
    expect(await receive()).toEqual([]);
    let again = await receiveWithin(5000);
    expect(again.afterMs).toBeGreaterThanOrEqual(800);
    expect(again.afterMs).toBeLessThan(3000);
    [m] = again.messages;
    expect(m.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(await deliver([m])).toEqual([id]);
    again = await receiveWithin(6000);
    expect(again.afterMs).toBeGreaterThanOrEqual(800);
    expect(again.afterMs).toBeLessThan(4000);
    recovered.add(orderId);
    expect(await deliver(again.messages)).toEqual([]); // recovered: handled once, deleted
    expect(await receive()).toEqual([]);
  });

  it('parks the last receive of a transient failure at once instead of waiting out another timeout', async () => {
    const id = await send(busEvent(created('transient')));
    let messages = await receive();
    for (let n = 1; n <= 5; n++) {
      expect(messages[0].Attributes?.ApproximateReceiveCount).toBe(String(n));
      expect(await deliver(messages)).toEqual([id]);
      if (n < 5) messages = (await receiveWithin(10_000)).messages;
    }
    expect(await receive()).toEqual([]); // the sixth receive moves it
    const [parked] = await receive(dlqUrl);
    expect(parked.MessageId).toBe(id);
  }, 30_000);

  it.each([
    ['a validation failure (PermanentError)', () => busEvent(created('permanent'))],
    [
      'an event with no handler',
      () =>
        busEvent(
          events.newEvent('order.cancelled', { orderId: 'o', customerId: 'c', reason: 'x' }, { correlationId: 'c', causationId: 'c' }),
        ),
    ],
    ['a contract violation', () => ({ ...busEvent(created('ok')), detail: { metadata: { eventId: randomUUID() }, data: {} } })],
    ['a body that is not JSON', () => '{not json'],
  ])('parks %s within its five receives, back to back', async (_, body) => {
    const id = await send(body());
    const started = Date.now();
    for (let n = 1; n <= 5; n++) {
      const messages = await receive(); // visible at once, every time
      expect(messages.map((m) => m.MessageId)).toEqual([id]);
      expect(await deliver(messages)).toEqual([id]);
    }
    expect(await receive()).toEqual([]);
    expect((await receive(dlqUrl)).map((m) => m.MessageId)).toEqual([id]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sets each record of a mixed batch on its own: the good one deleted, the permanent one back at once, the transient one later', async () => {
    const ok = await send(busEvent(created('ok')));
    const bad = await send(busEvent(created('permanent')));
    const flaky = await send(busEvent(created('transient')));
    const messages: Message[] = [];
    for (let i = 0; i < 5 && messages.length < 3; i++) messages.push(...(await receive()));
    expect(messages.map((m) => m.MessageId).sort()).toEqual([ok, bad, flaky].sort());
    expect((await deliver(messages)).sort()).toEqual([bad, flaky].sort());
    expect((await receive()).map((m) => m.MessageId)).toEqual([bad]);
    const later = await receiveWithin(5000);
    expect(later.messages.map((m) => m.MessageId)).toEqual([flaky]);
    expect(later.afterMs).toBeGreaterThanOrEqual(700);
  });
});
