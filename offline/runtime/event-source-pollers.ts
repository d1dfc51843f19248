/**
 * Event source mappings, offline: SQS queues and DynamoDB streams polled with the template's batch size, filters
 * and failure reporting, invoking functions with the event shapes Lambda uses.
 * - SQS: success deletes the batch; with ReportBatchItemFailures only the listed items stay; a failed invocation
 *   deletes nothing — the messages return after the visibility timeout and, past maxReceiveCount, go to the DLQ.
 * - Streams: records in order per shard; a failure retries from the first failed record up to
 *   MaximumRetryAttempts, then the batch's coordinates go to the on-failure destination (as AWS sends them).
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { matchesEventPattern } from './event-pattern';
import type { LambdaRuntime } from './lambda-runtime';
import type { EventSourceMappingModel, PlatformModel } from './model';

type Log = (message: string) => void;

/** Lambda's SQS pollers long-poll for 20 s: an idle queue costs one receive per poller per 20 s, not one a second. */
const SQS_WAIT_SECONDS = 20;
/** Lambda polls each stream shard 4 times a second when it is idle; offline polls faster (latency), but lists shards rarely. */
const STREAM_IDLE_POLL_MS = 100;
/** DescribeStream: a new shard is looked for this often, and at once when one closes (it then has children). */
const STREAM_DESCRIBE_MS = 10_000;

export class EventSourcePollers {
  private running = true;
  private readonly loops: Promise<void>[] = [];
  /** Ends the long polls in flight on stop, so stopping does not wait out a 20 s receive. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly model: PlatformModel,
    private readonly runtime: LambdaRuntime,
    private readonly clients: { sqs: SQSClient; dynamodb: DynamoDBClient; streams: DynamoDBStreamsClient },
    private readonly log: Log,
  ) {
    // One listener per receive in flight (the SDK removes it when the request ends): 2 per queue, not a leak.
    setMaxListeners(0, this.stopping.signal);
  }

  start(): void {
    for (const mapping of this.model.eventSourceMappings.filter((m) => m.enabled)) {
      if (mapping.kind === 'sqs') {
        const pollers = Math.min(2, mapping.maximumConcurrency ?? 2);
        for (let i = 0; i < pollers; i++) this.loops.push(this.guard(mapping, () => this.pollQueue(mapping)));
      } else {
        this.loops.push(this.guard(mapping, () => this.pollStream(mapping)));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await Promise.all(this.loops);
  }

  /** A poller never dies of an error: it logs and carries on, as the Lambda service does. */
  private async guard(mapping: EventSourceMappingModel, loop: () => Promise<void>): Promise<void> {
    while (this.running) {
      try {
        await loop();
      } catch (err) {
        if (!this.running) return;
        this.log(`poller ${mapping.logicalId}: ${(err as Error).message}`);
        await sleep(250);
      }
    }
  }

  private matches(mapping: EventSourceMappingModel, record: unknown): boolean {
    return mapping.filterPatterns.length === 0 || mapping.filterPatterns.some((p) => matchesEventPattern(p, record));
  }

  private async pollQueue(mapping: EventSourceMappingModel): Promise<void> {
    const queue = this.model.queues.find((q) => q.arn === mapping.sourceArn)!;
    const { sqs } = this.clients;
    while (this.running) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(mapping.batchSize, 10),
          WaitTimeSeconds: SQS_WAIT_SECONDS,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: this.stopping.signal },
      );
      if (!this.running || Messages.length === 0) continue;
      const records = Messages.map((m) => sqsRecord(m, queue.arn, this.model.naming.region));
      const kept = records.filter((r) => this.matches(mapping, { ...r, body: tryJson(r.body) }));
      let failed = new Set<string>(); // itemIdentifiers to keep in the queue
      if (kept.length > 0) {
        try {
          const result = await this.runtime.invoke<{ batchItemFailures?: { itemIdentifier: string }[] } | null>(mapping.functionLogicalId, {
            Records: kept,
          });
          if (mapping.reportBatchItemFailures && result?.batchItemFailures) {
            const ids = result.batchItemFailures.map((f) => f.itemIdentifier);
            // An identifier that is not in the batch makes the whole response invalid: the batch failed.
            failed = ids.every((id) => kept.some((r) => r.messageId === id)) ? new Set(ids) : new Set(kept.map((r) => r.messageId));
          }
        } catch (err) {
          this.log(`${mapping.functionLogicalId} failed a batch of ${kept.length}: ${(err as Error).message}`);
          failed = new Set(kept.map((r) => r.messageId));
        }
      }
      const done = Messages.filter((m) => !failed.has(m.MessageId!)); // includes filtered-out messages, as AWS drops them
      if (done.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    }
  }

  private async pollStream(mapping: EventSourceMappingModel): Promise<void> {
    const table = this.model.tables.find((t) => t.streamArn === mapping.sourceArn);
    if (!table) throw new Error(`no table streams to ${mapping.sourceArn}`);
    const { Table } = await this.clients.dynamodb.send(new DescribeTableCommand({ TableName: table.tableName }));
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${table.tableName} has no stream`);
    const { streams } = this.clients;
    const iterators = new Map<string, string | undefined>(); // shardId → iterator (undefined: shard finished)
    const pending = new Map<string, _Record[]>();
    let attempts = 0;
    let lastDescribe = 0;
    let closedAtDescribe = 0; // shards already finished when the stream was last described
    const closed = () => [...iterators.values()].filter((it) => it === undefined).length;
    while (this.running) {
      if (Date.now() - lastDescribe > STREAM_DESCRIBE_MS || closed() > closedAtDescribe) {
        lastDescribe = Date.now();
        const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
        for (const shard of StreamDescription?.Shards ?? []) {
          if (iterators.has(shard.ShardId!)) continue;
          const { ShardIterator } = await streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: shard.ShardId!,
              ShardIteratorType: mapping.startingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
            }),
          );
          iterators.set(shard.ShardId!, ShardIterator);
          pending.set(shard.ShardId!, []);
        }
        closedAtDescribe = closed();
      }
      let idle = true;
      for (const [shardId, iterator] of iterators) {
        const buffer = pending.get(shardId)!;
        if (buffer.length === 0 && iterator) {
          const res = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          iterators.set(shardId, res.NextShardIterator);
          buffer.push(...(res.Records ?? []));
        }
        if (buffer.length === 0) continue;
        idle = false;
        const batch = buffer.slice(0, mapping.batchSize);
        const records = batch
          .map((r) => streamRecord(r, mapping.sourceArn, this.model.naming.region))
          .filter((r) => this.matches(mapping, r));
        let firstFailed = -1;
        if (records.length > 0) {
          try {
            const result = await this.runtime.invoke<{ batchItemFailures?: { itemIdentifier: string }[] } | null>(
              mapping.functionLogicalId,
              { Records: records },
            );
            if (mapping.reportBatchItemFailures && result?.batchItemFailures?.length) {
              const seqs = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
              firstFailed = batch.findIndex((r) => seqs.has(r.dynamodb!.SequenceNumber!));
              if (firstFailed < 0) firstFailed = 0;
            }
          } catch (err) {
            this.log(`${mapping.functionLogicalId} failed a stream batch: ${(err as Error).message}`);
            firstFailed = 0;
          }
        }
        if (firstFailed < 0) {
          buffer.splice(0, batch.length);
          attempts = 0;
          continue;
        }
        buffer.splice(0, firstFailed); // checkpoint: everything before the first failure is done
        attempts++;
        const maxRetries = mapping.maximumRetryAttempts ?? -1;
        if (maxRetries >= 0 && attempts > maxRetries) {
          const dropped = buffer.splice(0, batch.length - firstFailed);
          attempts = 0;
          await this.sendStreamFailure(mapping, shardId, streamArn, dropped);
        } else {
          await sleep(Math.min(2000, 100 * 2 ** attempts));
        }
      }
      if (idle) await sleep(STREAM_IDLE_POLL_MS);
    }
  }

  private async sendStreamFailure(mapping: EventSourceMappingModel, shardId: string, streamArn: string, records: _Record[]): Promise<void> {
    const queue = this.model.queues.find((q) => q.arn === mapping.onFailureDestinationArn);
    this.log(`${mapping.functionLogicalId}: ${records.length} stream records exhausted their retries`);
    if (!queue || records.length === 0) return;
    const body = {
      requestContext: {
        condition: 'RetryAttemptsExhausted',
        functionArn: this.runtime.find(mapping.functionLogicalId).arn,
        approximateInvokeCount: (mapping.maximumRetryAttempts ?? 0) + 1,
      },
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: records[0].dynamodb!.SequenceNumber,
        endSequenceNumber: records.at(-1)!.dynamodb!.SequenceNumber,
        batchSize: records.length,
        streamArn,
      },
    };
    await this.clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(body) }));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function sqsRecord(m: Message, queueArn: string, region: string) {
  const messageAttributes = Object.fromEntries(
    Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
      k,
      { stringValue: v.StringValue, binaryValue: v.BinaryValue, stringListValues: [], binaryListValues: [], dataType: v.DataType },
    ]),
  );
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    attributes: m.Attributes ?? {},
    messageAttributes,
    md5OfBody:
      m.MD5OfBody ??
      createHash('md5')
        .update(m.Body ?? '')
        .digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function streamRecord(r: _Record, streamArn: string, region: string) {
  const created = r.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: r.eventID,
    eventName: r.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...r.dynamodb,
      ApproximateCreationDateTime: created instanceof Date ? Math.floor(created.getTime() / 1000) : created,
    },
    eventSourceARN: streamArn,
  };
}
