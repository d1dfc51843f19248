/**
 * What the running template would be billed for on AWS, counted at the runtime's boundary (issue 12, the cost
 * model): DynamoDB read and write units, SQS requests, PutEvents entries, Lambda invocations and their durations,
 * log bytes and EMF lines per function, PutMetricData calls and API requests. Counters only; prices live with the
 * bench (bench/pricing.ts), so this module knows no dollar.
 *
 * DynamoDB: a proxy in front of DynamoDB Local adds `ReturnConsumedCapacity: TOTAL` to every data-plane request
 * and reads the units DynamoDB Local computes (and strips them again when the caller did not ask). Chosen over
 * sizing items from the request bodies: an UpdateItem is billed on the larger of the item before and after, a
 * Query on the bytes it read, a transaction at twice the units — what only the database sees. DynamoDB Local
 * applies those rules itself (offline/runtime/usage.test.ts checks a 2.5 KB put = 3 units, a transaction double),
 * and its TOTAL includes the writes to global secondary indexes, as AWS bills them.
 * SQS: a proxy in front of fauxqs counts requests by action, in 64 KB chunks as SQS bills them, and the receives
 * that came back empty (the pollers' idle polling) apart.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Counter name → value: `dynamodb.writeUnits`, `sqs.requests.SendMessage`, `lambda.invocations.<fn>`, … */
export type UsageCounts = Record<string, number>;

export class UsageMeter {
  private readonly counts = new Map<string, number>();

  add(counter: string, n = 1): void {
    if (n !== 0) this.counts.set(counter, (this.counts.get(counter) ?? 0) + n);
  }

  snapshot(): UsageCounts {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** after − before, counter by counter (counters never decrease). */
export function usageDelta(after: UsageCounts, before: UsageCounts): UsageCounts {
  const out: UsageCounts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = Number(d.toFixed(6));
  }
  return out;
}

const KB64 = 64 * 1024;

/**
 * The billed size of a PutEvents entry (EventBridge's "calculating PutEvents event entry size"): the UTF-8 bytes of
 * Source, DetailType, Detail and each Resource, plus 14 for a Time. Each 64 KB chunk of it is billed as one event.
 */
export function putEventsEntrySize(e: {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: unknown;
}): number {
  const b = (s?: string) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return (e.Time !== undefined ? 14 : 0) + b(e.Source) + b(e.DetailType) + b(e.Detail) + (e.Resources ?? []).reduce((n, r) => n + b(r), 0);
}

export function putEventsBilledEvents(e: Parameters<typeof putEventsEntrySize>[0]): number {
  return Math.max(1, Math.ceil(putEventsEntrySize(e) / KB64));
}

export interface Exchange {
  /** The operation: X-Amz-Target's part after the dot, or the query protocol's Action. */
  action: string;
  /** The X-Amz-Target's service part (`DynamoDB_20120810`, `DynamoDBStreams_20120810`, `AmazonSQS`). */
  service: string;
  request: any;
  requestBytes: number;
  status: number;
  response: any;
  responseBytes: number;
}

export interface MeteringHooks {
  /** May change the parsed JSON request before it is forwarded (returns what to forward). */
  rewrite?(action: string, request: any): any;
  /** May change the parsed JSON response before it is returned. */
  rewriteResponse?(ex: Exchange, original: any): any;
  observe(ex: Exchange): void;
}

export interface MeteringProxy {
  endpoint: string;
  stop(): Promise<void>;
}

const parse = (text: string): any => {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return undefined;
  }
};

/**
 * A loopback HTTP proxy in front of an emulator: forwards every request, buffered, and lets `hooks` see (and for
 * JSON protocols, rewrite) the request and response. Headers pass through except the lengths, recomputed.
 */
export async function startMeteringProxy(upstream: string, hooks: MeteringHooks): Promise<MeteringProxy> {
  const target = new URL(upstream);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const amzTarget = String(req.headers['x-amz-target'] ?? '');
      const json = amzTarget !== '';
      const [service, action] = json
        ? amzTarget.split('.')
        : ['query', new URLSearchParams(raw.toString('utf8')).get('Action') ?? `${req.method} ${req.url}`];
      const original = json ? parse(raw.toString('utf8')) : undefined;
      const forwarded = json && original !== undefined && hooks.rewrite ? hooks.rewrite(action, structuredClone(original)) : original;
      const body = json && forwarded !== undefined ? Buffer.from(JSON.stringify(forwarded)) : raw;
      const headers: IncomingHttpHeaders = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (upRes) => {
        const out: Buffer[] = [];
        upRes.on('data', (c) => out.push(c));
        upRes.on('end', () => {
          let resBody = Buffer.concat(out);
          const response = json ? parse(resBody.toString('utf8')) : resBody.toString('utf8');
          const ex: Exchange = {
            action,
            service,
            request: original ?? raw.toString('utf8'),
            requestBytes: raw.length,
            status: upRes.statusCode ?? 0,
            response,
            responseBytes: resBody.length,
          };
          try {
            hooks.observe(ex);
            if (json && response !== undefined && hooks.rewriteResponse) {
              resBody = Buffer.from(JSON.stringify(hooks.rewriteResponse(ex, original)));
            }
          } catch {
            // Metering must never fail the call it meters.
          }
          const resHeaders: Record<string, string | string[] | undefined> = { ...upRes.headers, 'content-length': String(resBody.length) };
          delete resHeaders['transfer-encoding'];
          // DynamoDB's SDK checks the body's CRC32 when the header is there; the body may have been rewritten.
          delete resHeaders['x-amz-crc32'];
          res.writeHead(upRes.statusCode ?? 502, resHeaders).end(resBody);
        });
        upRes.on('error', () => res.destroy());
      });
      up.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(err.message);
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const DDB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems', 'ExecuteStatement']);
const DDB_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** DynamoDB (and its streams) through the proxy: units as DynamoDB Local reports them, requests by operation. */
export function dynamoDbMetering(meter: UsageMeter): MeteringHooks {
  return {
    rewrite: (action, req) =>
      (DDB_READS.has(action) || DDB_WRITES.has(action)) && req && typeof req === 'object' && !req.ReturnConsumedCapacity
        ? { ...req, ReturnConsumedCapacity: 'TOTAL' }
        : req,
    rewriteResponse: (ex, original) => {
      if (original?.ReturnConsumedCapacity || !ex.response || typeof ex.response !== 'object') return ex.response;
      const { ConsumedCapacity: _units, ...rest } = ex.response;
      return rest;
    },
    observe: ({ service, action, status, request, response }) => {
      if (service.startsWith('DynamoDBStreams')) {
        meter.add(`dynamodb.streams.${action}`);
        return;
      }
      meter.add(`dynamodb.requests.${action}`);
      const kind = DDB_WRITES.has(action) ? 'write' : DDB_READS.has(action) ? 'read' : undefined;
      if (!kind) return;
      const consumed = response?.ConsumedCapacity;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
        (n: number, c: { CapacityUnits?: number }) => n + (c.CapacityUnits ?? 0),
        0,
      );
      // A refused conditional write or transaction reports no units, yet AWS bills it (at least one unit per item
      // it would have written; the item size is unknown here, so one per item: a lower bound).
      const conditionFailed = status >= 400 && /ConditionalCheckFailed|TransactionCanceled/.test(String(response?.__type));
      const refused = !conditionFailed ? 0 : action === 'TransactWriteItems' ? 2 * (request?.TransactItems?.length ?? 1) : 1;
      meter.add(`dynamodb.${kind}Units`, status < 400 ? units : refused);
      if (status >= 400) meter.add(`dynamodb.refused.${action}`);
    },
  };
}

/** SQS through the proxy: requests by action in 64 KB chunks, empty receives apart. */
export function sqsMetering(meter: UsageMeter): MeteringHooks {
  return {
    observe: ({ action, requestBytes, responseBytes, response }) => {
      const chunks = Math.max(1, Math.ceil(Math.max(requestBytes, responseBytes) / KB64));
      if (action === 'ReceiveMessage') {
        const messages = typeof response === 'object' ? (response?.Messages ?? []) : /<Message>/.test(String(response)) ? [1] : [];
        if (messages.length === 0) {
          meter.add('sqs.emptyReceives');
          return;
        }
      }
      meter.add(`sqs.requests.${action}`, chunks);
    },
  };
}
