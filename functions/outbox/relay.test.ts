/**
 * The relay against real stream records (DynamoDB Local's stream of the Outbox table) and a real HTTP EventBridge
 * stand-in (AWS JSON 1.1 PutEvents on 127.0.0.1), reached through AWS_ENDPOINT_URL_EVENTBRIDGE like any endpoint.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../offline/runtime/wait';
import { lambdaContext } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';
import type { DomainEvent } from '../shared/contracts/events';

interface Received {
  target: string;
  contentType: string;
  entries: { EventBusName: string; Source: string; DetailType: string; Detail: string; Time: number }[];
}

let t: TestTables;
let server: Server;
let received: Received[] = [];
/** Detail-types the stand-in refuses per entry (FailedEntryCount > 0), as EventBridge does for a bad entry. */
let refuse = new Set<string>();
/** 'down': the stand-in answers 503 to every call, like an unreachable or throttled endpoint. */
let mode: 'up' | 'down' = 'up';
let relay: typeof import('./relay');
let outbox: typeof import('../shared/outbox');
let events: typeof import('../shared/contracts/events');
let streams: DynamoDBStreamsClient;
let streamArn: string;
/** Sequence numbers already handed out, so each call returns only newer records. */
const seen = new Set<string>();

beforeAll(async () => {
  t = await useTables();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
      };
      if (mode === 'down') return reply(503, { __type: 'ServiceUnavailableException', message: 'down' });
      if (target !== 'AWSEvents.PutEvents') return reply(400, { __type: 'UnknownOperationException', message: target });
      const { Entries } = JSON.parse(body) as { Entries: Received['entries'] };
      received.push({ target, contentType: String(req.headers['content-type']), entries: Entries });
      const results = Entries.map((e) =>
        refuse.has(e.DetailType)
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'stand-in refused it' }
          : { EventId: `eb-${e.DetailType}` },
      );
      return reply(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.EVENT_BUS_NAME = 'ShopWave-test';
  process.env.POWERTOOLS_SERVICE_NAME = 'outbox';
  events = await import('../shared/contracts/events');
  outbox = await import('../shared/outbox');
  relay = await import('./relay');

  streams = new DynamoDBStreamsClient({
    endpoint: t.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const { Table } = await t.client.send(new DescribeTableCommand({ TableName: t.names.outbox }));
  streamArn = Table!.LatestStreamArn!;
});
afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
beforeEach(() => {
  received = [];
  refuse = new Set();
  mode = 'up';
});

/**
 * The next `n` records of the Outbox stream, shaped as Lambda delivers them. Each poll reads every shard from
 * TRIM_HORIZON (an iterator kept from an empty shard can go stale in DynamoDB Local) and keeps the unseen records.
 */
async function nextStreamRecords(n: number): Promise<DynamoDBRecord[]> {
  let out: _Record[] = [];
  await waitFor(
    async () => {
      const fresh: _Record[] = [];
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
      for (const shard of StreamDescription?.Shards ?? []) {
        let iterator = (
          await streams.send(
            new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
          )
        ).ShardIterator;
        for (let page = 0; iterator && page < 20; page++) {
          const res = await streams.send(new GetRecordsCommand({ ShardIterator: iterator })).catch((err: Error) => {
            if (err.name === 'TrimmedDataAccessException') return { Records: [], NextShardIterator: undefined }; // next poll
            throw err;
          });
          fresh.push(...(res.Records ?? []).filter((r) => !seen.has(r.dynamodb!.SequenceNumber!)));
          if (!res.Records?.length) break;
          iterator = res.NextShardIterator;
        }
      }
      out = fresh;
      return out.length >= n;
    },
    { description: `${n} new outbox stream records` },
  );
  expect(out).toHaveLength(n);
  for (const r of out) seen.add(r.dynamodb!.SequenceNumber!);
  return out.map((r) => ({
    eventID: r.eventID,
    eventName: r.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/Outbox/stream/1',
    dynamodb: {
      ...r.dynamodb,
      ApproximateCreationDateTime: Math.floor((r.dynamodb!.ApproximateCreationDateTime as Date).getTime() / 1000),
    } as DynamoDBRecord['dynamodb'],
  }));
}

const cause = { correlationId: 'corr-relay', causationId: 'test' };
const paid = (orderId: string) =>
  events.newEvent(
    'order.paid',
    {
      orderId,
      customerId: 'c1',
      merchantId: 'm1',
      items: [{ productId: 'p1', name: 'Pizza', quantity: 1, unitPrice: { amount: 900, currency: 'EUR' } }],
      total: { amount: 900, currency: 'EUR' },
    },
    cause,
  );
const cancelled = (orderId: string) =>
  events.newEvent('order.cancelled', { orderId, customerId: 'c1', reason: 'restaurant rejected' }, cause);
const rowOf = async (e: DomainEvent) =>
  (await t.doc.send(new GetCommand({ TableName: t.names.outbox, Key: { pk: `EVENT#${e.detail.metadata.eventId}` } }))).Item!;
const invoke = (records: DynamoDBRecord[]) => relay.handler({ Records: records } as DynamoDBStreamEvent, lambdaContext('outbox-relay'));

describe('outbox relay', () => {
  it('publishes each new outbox row to the bus exactly as stored', async () => {
    const first = paid('o-1');
    const second = cancelled('o-2');
    await outbox.commitWithEvents([], [first, second]);
    const records = await nextStreamRecords(2);
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'INSERT']);

    expect(await invoke(records)).toEqual({ batchItemFailures: [] });
    expect(received.every((r) => r.target === 'AWSEvents.PutEvents' && r.contentType.startsWith('application/x-amz-json-1.1'))).toBe(true);
    const sent = received.flatMap((r) => r.entries).sort((a, b) => a.DetailType.localeCompare(b.DetailType));
    const expected = await Promise.all(
      [second, first].map(async (e) => {
        const row = await rowOf(e);
        return {
          EventBusName: 'ShopWave-test',
          Source: row.source,
          DetailType: row.detailType,
          Detail: row.detail,
          Time: Date.parse(row.createdAt) / 1000,
        };
      }),
    );
    expect(sent).toEqual(expected);
    expect(JSON.parse(sent[1].Detail)).toEqual(first.detail); // the committed envelope, byte for byte through the row
  });

  it('skips MODIFY and REMOVE records (a TTL deletion must never re-publish)', async () => {
    const e = paid('o-3');
    await outbox.commitWithEvents([], [e]);
    const key = { pk: `EVENT#${e.detail.metadata.eventId}` };
    await t.doc.send(
      new UpdateCommand({
        TableName: t.names.outbox,
        Key: key,
        UpdateExpression: 'SET expiresAt = :now',
        ExpressionAttributeValues: { ':now': 1 },
      }),
    );
    await t.doc.send(new DeleteCommand({ TableName: t.names.outbox, Key: key }));
    const [insert, modify, remove] = await nextStreamRecords(3);
    expect([insert.eventName, modify.eventName, remove.eventName]).toEqual(['INSERT', 'MODIFY', 'REMOVE']);

    expect(await invoke([modify, remove])).toEqual({ batchItemFailures: [] });
    expect(received).toEqual([]);
    expect(await invoke([insert, modify, remove])).toEqual({ batchItemFailures: [] });
    expect(received.flatMap((r) => r.entries.map((x) => JSON.parse(x.Detail).metadata.eventId))).toEqual([e.detail.metadata.eventId]);
  });

  it("reports a refused entry's record by its sequence number, publishes the rest, and passes it on retry", async () => {
    const ok = paid('o-4');
    const refused = cancelled('o-5');
    await outbox.commitWithEvents([], [ok, refused]);
    const records = await nextStreamRecords(2);
    const recordOf = (e: DomainEvent) => records.find((r) => r.dynamodb!.NewImage!.pk.S === `EVENT#${e.detail.metadata.eventId}`)!;
    const refusedSeq = recordOf(refused).dynamodb!.SequenceNumber!;
    refuse = new Set(['order.cancelled']);

    expect(await invoke(records)).toEqual({ batchItemFailures: [{ itemIdentifier: refusedSeq }] });
    expect(received.flatMap((r) => r.entries.map((x) => x.DetailType)).sort()).toEqual(['order.cancelled', 'order.paid']);
    // A batch of only refused records is still answered per record (never thrown), so the stream resumes there.
    expect(await invoke([recordOf(refused)])).toEqual({ batchItemFailures: [{ itemIdentifier: refusedSeq }] });

    refuse = new Set();
    received = [];
    expect(await invoke([recordOf(refused)])).toEqual({ batchItemFailures: [] });
    expect(received.flatMap((r) => r.entries.map((x) => JSON.parse(x.Detail).metadata.eventId))).toEqual([refused.detail.metadata.eventId]);
  });

  it('fails the record when the PutEvents call itself fails (bus unavailable)', async () => {
    await outbox.commitWithEvents([], [paid('o-6')]);
    const records = await nextStreamRecords(1);
    mode = 'down';
    expect(await invoke(records)).toEqual({ batchItemFailures: [{ itemIdentifier: records[0].dynamodb!.SequenceNumber }] });
  });

  it('duplicate-events (game day): publishes the chosen detail-types 1 + copies times, the same entry each time', async () => {
    const dup = paid('o-7');
    const single = cancelled('o-8');
    await outbox.commitWithEvents([], [dup, single]);
    const records = await nextStreamRecords(2);
    process.env.SHOPWAVE_FAULTS = JSON.stringify([{ mode: 'duplicate-events', detailTypes: ['order.paid'], copies: 2 }]);
    try {
      expect(await invoke(records)).toEqual({ batchItemFailures: [] });
    } finally {
      delete process.env.SHOPWAVE_FAULTS;
    }
    const sent = received.flatMap((r) => r.entries);
    const paidEntries = sent.filter((x) => x.DetailType === 'order.paid');
    expect(paidEntries).toHaveLength(3);
    expect(new Set(paidEntries.map((x) => x.Detail))).toEqual(new Set([(await rowOf(dup)).detail]));
    expect(sent.filter((x) => x.DetailType === 'order.cancelled')).toHaveLength(1);
  });
});
