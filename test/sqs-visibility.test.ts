/**
 * The consumers' retry backoff rests on ChangeMessageVisibility (functions/shared/retry-policy.ts). The offline
 * SQS (fauxqs, as offline/runtime/run-template.ts starts it) must honour it as SQS does, or the tests would not see the real
 * timing: a failed record stays hidden for the seconds it was given, not the queue's visibility timeout; 0 makes it
 * visible at once; past maxReceiveCount it moves to the DLQ with its id, body and attributes (what a redrive needs).
 * LocalStack 4.14 implements the same action (docs: /work/shared/localstack-4.14.md; SQS provider).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  sqs = new SQSClient({
    endpoint: `http://127.0.0.1:${fauxqs.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    useQueueUrlAsEndpoint: false,
  });
  const dlq = fauxqs.createQueue('visibility-dlq', { region: 'us-east-1' });
  dlqUrl = dlq.queueUrl;
  const dlqArn = `arn:aws:sqs:us-east-1:000000000000:visibility-dlq`;
  queueUrl = fauxqs.createQueue('visibility', {
    region: 'us-east-1',
    attributes: { VisibilityTimeout: '180', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) },
  }).queueUrl;
});
afterAll(() => fauxqs?.stop());

const receive = async (url: string, wait = 0): Promise<Message[]> =>
  (
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: wait,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    )
  ).Messages ?? [];

describe('fauxqs ChangeMessageVisibility, as the retry backoff uses it', () => {
  it('hides a failed message for the seconds given, then redelivers it with its receive count; 0 parks it past maxReceiveCount', async () => {
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"n":1}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
      }),
    );
    let [m] = await receive(queueUrl);
    expect(m.Attributes?.ApproximateReceiveCount).toBe('1');

    // Backoff of 2 s, in a batch call as the consumer makes it: hidden for 2 s, not the queue's 180 s.
    const changedAt = Date.now();
    const { Failed = [] } = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: '0', ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 2 }],
      }),
    );
    expect(Failed).toEqual([]);
    expect(await receive(queueUrl)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await receive(queueUrl)).toEqual([]);
    let again: Message[] = [];
    for (let i = 0; i < 40 && again.length === 0; i++) again = await receive(queueUrl, 1);
    const hiddenMs = Date.now() - changedAt;
    expect(hiddenMs).toBeGreaterThanOrEqual(1900);
    expect(hiddenMs).toBeLessThan(6000);
    [m] = again;
    expect(m.MessageId).toBe(MessageId);
    expect(m.Attributes?.ApproximateReceiveCount).toBe('2');

    // Visibility 0 (permanent error): visible at once, every time, until the receive count is spent.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
    [m] = await receive(queueUrl);
    expect(m.Attributes?.ApproximateReceiveCount).toBe('3');
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
    expect(await receive(queueUrl)).toEqual([]); // the fourth receive moves it to the DLQ instead of returning it
    const [parked] = await receive(dlqUrl);
    expect(parked.MessageId).toBe(MessageId);
    expect(parked.Body).toBe('{"n":1}');
    expect(parked.MessageAttributes?.kind?.StringValue).toBe('test');
  });
});
