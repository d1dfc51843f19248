/**
 * Replay from the outbox: re-publishes events the platform already committed, exactly as the relay first did
 * (functions/outbox/relay.ts: same source, detail-type and detail, so the same metadata.eventId). A consumer that
 * already handled an event finds its idempotency record and does nothing; one that never saw it (its rule did not
 * match, its messages were dropped before it handled them) handles it now. The CLI is scripts/replay.ts.
 *
 * Rows are found through the Outbox's indexes, never a scan (lib/constructs/data-tables.ts): `byOrder` (data.orderId,
 * createdAt) for order ids, `byDay` (UTC day, createdAt) for a time window. A replay reaches back as far as rows
 * live: OUTBOX_RETENTION_SECONDS (functions/shared/outbox.ts, 3 days), after which TTL deletes them.
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EventCatalog } from '../functions/shared/contracts/events';
import { OUTBOX_RETENTION_SECONDS, type OutboxRow } from '../functions/shared/outbox-row';
import { OUTBOX_BY_DAY_INDEX, OUTBOX_BY_ORDER_INDEX } from '../lib/constructs/data-tables';
import { type AuditRecord, type AuditSink, newAuditId, whoAmI, writeAudit } from './audit';

export interface ReplaySelection {
  orderIds?: string[];
  detailTypes?: string[];
  /** Inclusive start and exclusive end of the window on the event's occurredAt (the row's createdAt). */
  since?: Date;
  until?: Date;
}

export interface ReplaySource {
  doc: Pick<DynamoDBDocumentClient, 'send'>;
  outboxTable: string;
}

/** At most this many rows per replay: a bigger selection is refused (narrow it, or raise --max). */
export const DEFAULT_MAX_EVENTS = 1000;
/** DynamoDB pages read per index query, so a query ends even on a huge day. */
const MAX_PAGES_PER_QUERY = 200;
/** PutEvents takes at most 10 entries. */
export const PUT_EVENTS_BATCH = 10;
/** Attempts per entry: EventBridge refuses entries one by one (throttling, internal errors); those are retried. */
const MAX_ATTEMPTS = 4;

async function queryAll(
  src: ReplaySource,
  input: { IndexName: string; KeyConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
  limit: number,
): Promise<OutboxRow[]> {
  const rows: OutboxRow[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_PAGES_PER_QUERY; page++) {
    const res = await src.doc.send(new QueryCommand({ TableName: src.outboxTable, ...input, ExclusiveStartKey }));
    rows.push(...((res.Items ?? []) as OutboxRow[]));
    ExclusiveStartKey = res.LastEvaluatedKey;
    if (!ExclusiveStartKey || rows.length > limit) return rows;
  }
  throw new Error(`${input.IndexName}: more than ${MAX_PAGES_PER_QUERY} pages; narrow the selection`);
}

/** UTC days (YYYY-MM-DD) from `since` to `until`, both included. */
export function daysBetween(since: Date, until: Date): string[] {
  const days: string[] = [];
  const d = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  // Bounded: a window is checked against the retention (a few days) before it gets here.
  while (d.getTime() <= until.getTime() && days.length < 400) {
    days.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return days;
}

/**
 * The outbox rows the selection names, oldest first (so an order's events go out in the order they happened).
 * Order ids → one byOrder query each; otherwise the window (default: the whole retention) → one byDay query per
 * day. Detail-type and window then filter. Throws when more than `max` rows match, before anything is sent.
 */
export async function selectOutboxRows(
  src: ReplaySource,
  sel: ReplaySelection,
  max = DEFAULT_MAX_EVENTS,
  now = new Date(),
): Promise<OutboxRow[]> {
  const since = sel.since?.toISOString();
  const until = sel.until?.toISOString();
  let rows: OutboxRow[] = [];
  if (sel.orderIds?.length) {
    for (const orderId of sel.orderIds) {
      const range =
        since && until
          ? ' AND createdAt BETWEEN :since AND :until'
          : since
            ? ' AND createdAt >= :since'
            : until
              ? ' AND createdAt <= :until'
              : '';
      rows.push(
        ...(await queryAll(
          src,
          {
            IndexName: OUTBOX_BY_ORDER_INDEX,
            KeyConditionExpression: `orderId = :orderId${range}`,
            ExpressionAttributeValues: {
              ':orderId': orderId,
              ...(since ? { ':since': since } : {}),
              ...(until ? { ':until': until } : {}),
            },
          },
          max,
        )),
      );
      if (rows.length > max) break;
    }
  } else {
    const from = sel.since ?? new Date(now.getTime() - OUTBOX_RETENTION_SECONDS * 1000);
    const to = sel.until ?? now;
    for (const day of daysBetween(from, to)) {
      rows.push(
        ...(await queryAll(
          src,
          {
            IndexName: OUTBOX_BY_DAY_INDEX,
            KeyConditionExpression: 'createdDay = :day AND createdAt BETWEEN :since AND :until',
            ExpressionAttributeValues: { ':day': day, ':since': from.toISOString(), ':until': to.toISOString() },
          },
          max,
        )),
      );
      if (rows.length > max) break;
    }
  }
  // BETWEEN includes its end; the window's end is exclusive.
  if (until) rows = rows.filter((r) => r.createdAt < until);
  if (sel.detailTypes?.length) rows = rows.filter((r) => sel.detailTypes!.includes(r.detailType));
  if (rows.length > max) throw new Error(`more than ${max} events match; narrow the selection or raise --max`);
  const unique = new Map(rows.map((r) => [r.eventId, r]));
  return [...unique.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.eventId.localeCompare(b.eventId));
}

/** What an operator reads before sending: detail-type, order id, event id, occurredAt. */
export function describeRow(row: OutboxRow): string {
  return `${row.createdAt}  ${row.detailType.padEnd(32)}  order ${row.orderId ?? '-'}  event ${row.eventId}`;
}

/** The PutEvents entry of a row: the relay's, byte for byte (functions/outbox/relay.ts). */
export function entryOf(row: OutboxRow, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: row.source,
    DetailType: row.detailType,
    Detail: row.detail,
    Time: new Date(row.createdAt),
    ...(row.traceHeader ? { TraceHeader: row.traceHeader } : {}),
  };
}

export interface PublishResult {
  published: string[];
  failed: { id: string; error: string }[];
}

/**
 * Publishes the rows in batches of 10; entries EventBridge refuses (or a batch whose call fails) are retried up to
 * MAX_ATTEMPTS times with a short backoff, then reported.
 */
export async function publishRows(
  eventBridge: Pick<EventBridgeClient, 'send'>,
  busName: string,
  rows: OutboxRow[],
  opts: { backoffMs?: number } = {},
): Promise<PublishResult> {
  const result: PublishResult = { published: [], failed: [] };
  for (let i = 0; i < rows.length; i += PUT_EVENTS_BATCH) {
    let pending = rows.slice(i, i + PUT_EVENTS_BATCH);
    const lastError = new Map<string, string>();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && pending.length; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, (opts.backoffMs ?? 200) * 2 ** (attempt - 2)));
      try {
        const res = await eventBridge.send(new PutEventsCommand({ Entries: pending.map((r) => entryOf(r, busName)) }));
        const retry: OutboxRow[] = [];
        pending.forEach((row, k) => {
          const entry = res.Entries?.[k];
          if (entry?.EventId && !entry.ErrorCode) result.published.push(row.eventId);
          else {
            lastError.set(row.eventId, `${entry?.ErrorCode ?? 'NoEntry'} ${entry?.ErrorMessage ?? ''}`.trim());
            retry.push(row);
          }
        });
        pending = retry;
      } catch (err) {
        for (const row of pending) lastError.set(row.eventId, (err as Error).message);
      }
    }
    for (const row of pending) result.failed.push({ id: row.eventId, error: lastError.get(row.eventId) ?? 'unknown' });
  }
  return result;
}

/**
 * The Powertools idempotency record of "consumer `functionName` handled event `eventId`" (functions/shared/
 * event-consumer.ts: makeIdempotent keyed on detail.metadata.eventId, no key prefix, md5): the key prefix is the
 * function's name, the hash is md5/base64 of the JSON of the event id.
 */
export function idempotencyKey(functionName: string, eventId: string): string {
  return `${functionName}#${createHash('md5').update(JSON.stringify(eventId)).digest('base64')}`;
}

/**
 * Deletes `functionName`'s idempotency records of these events, so that consumer handles them again when replayed.
 * Only for a consumer that recorded an event as handled without doing its work (a handler that returned early),
 * and whose effect is itself conditional (the restaurant's tablet write is): the others keep their records.
 */
export async function forgetHandled(
  doc: Pick<DynamoDBDocumentClient, 'send'>,
  idempotencyTable: string,
  functionName: string,
  eventIds: string[],
): Promise<string[]> {
  const forgotten: string[] = [];
  for (const eventId of eventIds) {
    const res = await doc.send(
      new DeleteCommand({ TableName: idempotencyTable, Key: { id: idempotencyKey(functionName, eventId) }, ReturnValues: 'ALL_OLD' }),
    );
    if (res.Attributes) forgotten.push(eventId);
  }
  return forgotten;
}

export const REPLAY_USAGE = `usage: npm run replay -- [--order <orderId>]... [--detail-type <type>]... [--since <ISO time>] [--until <ISO time>]
                         [--reprocess <consumer>]... [--send] [--max <n>] [--stack <name>]
  Dry run by default: prints what would be re-published. --send publishes. At least one of --order, --detail-type,
  --since is required. Reaches back ${OUTBOX_RETENTION_SECONDS / 3600} h (the outbox rows' TTL). --reprocess RestaurantConsumer
  first deletes that consumer's idempotency records of the selected events, so it handles them again.`;

export interface ReplayArgs extends ReplaySelection {
  send: boolean;
  /** Consumers (construct ids: RestaurantConsumer) whose idempotency records of the selected events are deleted first. */
  reprocess?: string[];
  max: number;
  stack?: string;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function parseTime(name: string, value: string): Date {
  // An ISO 8601 date or date-time with a zone, so "12:00" never means the laptop's zone.
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) || Number.isNaN(Date.parse(value)))
    throw new Error(`${name} '${value}' is not an ISO 8601 time with a zone (2026-12-01T20:00:00Z)`);
  return new Date(value);
}

/** The CLI's arguments, checked; throws an Error naming the first bad one. */
export function parseReplayArgs(argv: string[], now = new Date()): ReplayArgs {
  let values: Record<string, string | string[] | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        order: { type: 'string', multiple: true },
        'detail-type': { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        send: { type: 'boolean' },
        max: { type: 'string' },
        stack: { type: 'string' },
        reprocess: { type: 'string', multiple: true },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    throw new Error((err as Error).message);
  }
  if (positionals.length) throw new Error(`unexpected argument '${positionals[0]}'`);
  const orderIds = (values.order as string[] | undefined) ?? [];
  const detailTypes = (values['detail-type'] as string[] | undefined) ?? [];
  for (const id of orderIds) if (!ID.test(id)) throw new Error(`--order '${id}' is not an order id`);
  for (const t of detailTypes)
    if (!(t in EventCatalog)) throw new Error(`--detail-type '${t}' is not one of the contracts: ${Object.keys(EventCatalog).join(', ')}`);
  const since = values.since === undefined ? undefined : parseTime('--since', values.since as string);
  const until = values.until === undefined ? undefined : parseTime('--until', values.until as string);
  if (since && until && since >= until) throw new Error(`--since '${values.since}' is not before --until '${values.until}'`);
  const oldest = now.getTime() - OUTBOX_RETENTION_SECONDS * 1000;
  if (since && since.getTime() < oldest)
    throw new Error(
      `--since '${values.since}' is older than the outbox retention (${OUTBOX_RETENTION_SECONDS / 3600} h): those rows are gone`,
    );
  if (!orderIds.length && !detailTypes.length && !since) throw new Error('nothing selected: give --order, --detail-type or --since');
  const max = values.max === undefined ? DEFAULT_MAX_EVENTS : Number(values.max);
  if (values.max !== undefined && !/^[1-9]\d{0,4}$/.test(values.max as string))
    throw new Error(`--max '${values.max}' is not a whole number from 1 to 99999`);
  const stack = values.stack as string | undefined;
  if (stack !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stack)) throw new Error(`--stack '${stack}' is not a stack name`);
  const reprocess = (values.reprocess as string[] | undefined) ?? [];
  for (const c of reprocess)
    if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(c)) throw new Error(`--reprocess '${c}' is not a consumer's construct id (RestaurantConsumer)`);
  return {
    ...(orderIds.length ? { orderIds } : {}),
    ...(detailTypes.length ? { detailTypes } : {}),
    ...(reprocess.length ? { reprocess } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    send: values.send === true,
    max,
    ...(stack ? { stack } : {}),
  };
}

export interface ReplayTarget extends ReplaySource {
  name: string;
  eventBridge: Pick<EventBridgeClient, 'send'>;
  busName: string;
  audit: AuditSink;
  sts?: Parameters<typeof whoAmI>[0];
  /** For --reprocess: the idempotency table, and a consumer's construct id → its function's name. */
  idempotencyTable?: string;
  consumerFunction?: (consumer: string) => Promise<string | undefined>;
}

export interface ReplayOutcome {
  rows: OutboxRow[];
  result?: PublishResult;
  audit?: AuditRecord;
  /** Non-zero when anything selected was not published. */
  exitCode: number;
}

/** Selects, prints, and with `send` publishes and records the run in the audit trail. */
export async function runReplay(
  target: ReplayTarget,
  args: ReplayArgs,
  print: (line: string) => void = console.log,
  opts: { backoffMs?: number } = {},
): Promise<ReplayOutcome> {
  const rows = await selectOutboxRows(target, args, args.max);
  for (const row of rows) print(describeRow(row));
  if (!args.send) {
    for (const consumer of args.reprocess ?? []) print(`would first delete ${consumer}'s idempotency records of these events`);
    print(`dry run: ${rows.length} event(s) would be re-published to ${target.busName} (${target.name}); add --send to publish`);
    return { rows, exitCode: 0 };
  }
  const forgotten: Record<string, string[]> = {};
  for (const consumer of args.reprocess ?? []) {
    const fn = await target.consumerFunction?.(consumer);
    if (!fn || !target.idempotencyTable) throw new Error(`--reprocess '${consumer}': no such consumer function on ${target.name}`);
    forgotten[fn] = await forgetHandled(
      target.doc,
      target.idempotencyTable,
      fn,
      rows.map((r) => r.eventId),
    );
    print(`${fn}: forgot ${forgotten[fn].length} handled event(s), it will handle them again`);
  }
  const result = await publishRows(target.eventBridge, target.busName, rows, opts);
  const audit: AuditRecord = {
    id: newAuditId(),
    tool: 'replay',
    at: new Date().toISOString(),
    who: await whoAmI(target.sts),
    target: target.name,
    from: `outbox ${target.outboxTable}`,
    to: `bus ${target.busName}`,
    selection: {
      orderIds: args.orderIds,
      detailTypes: args.detailTypes,
      since: args.since?.toISOString(),
      until: args.until?.toISOString(),
      max: args.max,
      reprocess: args.reprocess,
    },
    ids: rows.map((r) => r.eventId),
    result: {
      ok: result.failed.length === 0,
      done: result.published.length,
      failed: result.failed,
      ...(args.reprocess?.length ? { note: `idempotency records deleted: ${JSON.stringify(forgotten)}` } : {}),
    },
  };
  const warning = await writeAudit(audit, target.audit);
  if (warning) print(`warning: ${warning}`);
  for (const f of result.failed) print(`NOT PUBLISHED ${f.id}: ${f.error}`);
  print(`published ${result.published.length} of ${rows.length} event(s) to ${target.busName} (${target.name}); audit ${audit.id}`);
  return { rows, result, audit, exitCode: result.failed.length ? 1 : 0 };
}
