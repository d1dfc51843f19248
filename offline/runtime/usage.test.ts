/**
 * The cost meter's DynamoDB and SQS counting (offline/runtime/usage.ts) on the real emulators: an item of known
 * size costs the write units DynamoDB's pricing says, reads and transactions too, and the SDK still works through
 * the proxy (the units it did not ask for are stripped).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  dynamoDbMetering,
  type MeteringProxy,
  putEventsBilledEvents,
  putEventsEntrySize,
  sqsMetering,
  startMeteringProxy,
  UsageMeter,
  usageDelta,
} from './usage';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const TABLE = `usage-meter-${Date.now()}`;

describe('DynamoDB through the metering proxy', () => {
  const meter = new UsageMeter();
  let proxy: MeteringProxy;
  let doc: DynamoDBDocumentClient;
  beforeAll(async () => {
    proxy = await startMeteringProxy(inject('dynamodbEndpoint'), dynamoDbMetering(meter));
    const client = new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials });
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    doc = DynamoDBDocumentClient.from(client);
  });
  afterAll(() => proxy.stop());

  const step = async (f: () => Promise<unknown>) => {
    const before = meter.snapshot();
    const result = await f();
    return { result: result as any, delta: usageDelta(meter.snapshot(), before) };
  };

  it('a put of a 2.5 KB item costs 3 write units, and the caller sees no units it did not ask for', async () => {
    // Item size = attribute names + values: 'pk' + 'a' + 'data' + 2500 bytes ≈ 2.5 KB → 3 units of 1 KB.
    const { result, delta } = await step(() => doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'a', data: 'x'.repeat(2500) } })));
    expect(delta).toEqual({ 'dynamodb.requests.PutItem': 1, 'dynamodb.writeUnits': 3 });
    expect(result.ConsumedCapacity).toBeUndefined();
  });

  it('an update is billed on the larger of the item before and after', async () => {
    const { delta } = await step(() =>
      doc.send(
        new UpdateCommand({ TableName: TABLE, Key: { pk: 'a' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 1 } }),
      ),
    );
    expect(delta['dynamodb.writeUnits']).toBe(3);
  });

  it('reads: eventually consistent half a unit per 4 KB, strongly consistent one; the item still comes back', async () => {
    const eventual = await step(() => doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'a' } })));
    expect(eventual.delta['dynamodb.readUnits']).toBe(0.5);
    expect(eventual.result.Item.data).toHaveLength(2500);
    const strong = await step(() => doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'a' }, ConsistentRead: true })));
    expect(strong.delta['dynamodb.readUnits']).toBe(1);
    const query = await step(() =>
      doc.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'a' } })),
    );
    expect(query.delta['dynamodb.readUnits']).toBe(0.5);
  });

  it('a transaction costs twice the units of its writes, and a refused condition is still billed', async () => {
    const { delta } = await step(() =>
      doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: TABLE, Item: { pk: 'b', data: 'y'.repeat(1500) } } }] })),
    );
    expect(delta['dynamodb.writeUnits']).toBe(4);
    const refused = await step(() =>
      doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'b' }, ConditionExpression: 'attribute_not_exists(pk)' })).catch((e) => e),
    );
    expect(refused.result.name).toBe('ConditionalCheckFailedException');
    expect(refused.delta).toEqual({ 'dynamodb.requests.PutItem': 1, 'dynamodb.refused.PutItem': 1, 'dynamodb.writeUnits': 1 });
  });
});

describe('SQS through the metering proxy', () => {
  const meter = new UsageMeter();
  let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  let proxy: MeteringProxy;
  beforeAll(async () => {
    fauxqs = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
    proxy = await startMeteringProxy(`http://127.0.0.1:${fauxqs.port}`, sqsMetering(meter));
  });
  afterAll(async () => {
    await proxy.stop();
    await fauxqs.stop();
  });

  it('counts requests by action in 64 KB chunks, and empty receives apart', async () => {
    const sqs = new SQSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials, useQueueUrlAsEndpoint: false });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'usage-meter' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'small' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'z'.repeat(100 * 1024) }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(got.Messages?.length).toBe(2);
    await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    expect(meter.snapshot()).toEqual({
      'sqs.requests.CreateQueue': 1,
      'sqs.requests.SendMessage': 1 + 2,
      'sqs.requests.ReceiveMessage': 2,
      'sqs.emptyReceives': 1,
    });
  });
});

describe('PutEvents entry size', () => {
  it('is the bytes of Source, DetailType, Detail and Resources (+14 for Time), billed per 64 KB', () => {
    const e = { Source: 'shopwave.orders', DetailType: 'OrderPlaced', Detail: '{"a":"é"}', Resources: ['arn:x'] };
    expect(putEventsEntrySize(e)).toBe(15 + 11 + 10 + 5);
    expect(putEventsEntrySize({ ...e, Time: new Date() })).toBe(41 + 14);
    expect(putEventsBilledEvents(e)).toBe(1);
    expect(putEventsBilledEvents({ Detail: 'd'.repeat(64 * 1024 + 1) })).toBe(2);
  });
});
