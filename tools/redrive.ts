/**
 * Moves messages from a dead-letter queue back to the queue they came from, after the cause is fixed: the CLI
 * (scripts/redrive.ts) and the Redrive button of the offline /ops page both run this. Two methods:
 * - `move-task`: SQS's own StartMessageMoveTask (AWS; LocalStack's SQS provider has it too). Server-side and fast, but
 *   it moves the whole queue: it cannot choose messages or stop at a count.
 * - `copy`: receive → send → delete, one message at a time, so a crash duplicates at worst (consumers are idempotent)
 *   and never loses. Chooses messages (by message id or order id); the only method offline, where the SQS emulator
 *   (fauxqs) has no StartMessageMoveTask.
 * A message that is still poison and parks again during a run is not moved twice: the run moves what it received
 * before it sent anything. Every run that moves something writes an audit record (tools/audit.ts). `list` shows what is parked, with the last
 * error the consumer logged for each event (its log lines carry eventId: functions/shared/event-consumer.ts).
 */
import { type CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type AuditRecord, type AuditSink, newAuditId, whoAmI, writeAudit } from './audit';

type Sqs = Pick<SQSClient, 'send'>;

/** How long a message stays hidden while a run looks at it; released (visibility 0) when it is not moved. */
const HOLD_SECONDS = 60;
/** Messages a run looks at, at most (a DLQ holding more is handled in several runs). */
const MAX_SCAN = 5000;

export interface ParkedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  messageAttributes?: Message['MessageAttributes'];
  detailType?: string;
  orderId?: string;
  correlationId?: string;
  eventId?: string;
  receiveCount: number;
  sentAt: string;
  lastError?: LastError;
}

export interface LastError {
  at: string;
  function: string;
  error: string;
}

function describe(m: Message): ParkedMessage {
  const parked: ParkedMessage = {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    messageAttributes: m.MessageAttributes,
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: new Date(Number(m.Attributes?.SentTimestamp ?? 0)).toISOString(),
  };
  try {
    const event = JSON.parse(parked.body);
    parked.detailType = event['detail-type'];
    parked.orderId = event.detail?.data?.orderId;
    parked.correlationId = event.detail?.metadata?.correlationId;
    parked.eventId = event.detail?.metadata?.eventId;
  } catch {
    // not an EventBridge event (the outbox relay's DLQ holds stream coordinates)
  }
  return parked;
}

/**
 * Receives every message of the queue (up to `max`), hiding each for HOLD_SECONDS so the loop sees each once, and
 * ends when a receive comes back empty. The caller moves some and releases the rest.
 */
async function receiveAll(sqs: Sqs, queueUrl: string, max = MAX_SCAN): Promise<ParkedMessage[]> {
  const seen = new Map<string, ParkedMessage>();
  for (let round = 0; seen.size < max && round < max; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        WaitTimeSeconds: 1,
        VisibilityTimeout: HOLD_SECONDS,
        MessageAttributeNames: ['All'],
        AttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) seen.set(m.MessageId!, describe(m));
  }
  return [...seen.values()];
}

async function release(sqs: Sqs, queueUrl: string, messages: ParkedMessage[]): Promise<void> {
  for (const m of messages)
    await sqs
      .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.receiptHandle, VisibilityTimeout: 0 }))
      .catch(() => undefined); // expired hold: visible again anyway
}

/** The parked messages, left where they were (each receive counts one more ApproximateReceiveCount). */
export async function listDlq(
  sqs: Sqs,
  dlqUrl: string,
  opts: { max?: number; lastErrors?: LastErrorLookup } = {},
): Promise<ParkedMessage[]> {
  const messages = await receiveAll(sqs, dlqUrl, opts.max);
  await release(sqs, dlqUrl, messages);
  if (opts.lastErrors) {
    const errors = await opts.lastErrors(messages.flatMap((m) => (m.eventId ? [m.eventId] : [])));
    for (const m of messages) if (m.eventId && errors.has(m.eventId)) m.lastError = errors.get(m.eventId);
  }
  return messages;
}

export function formatParked(m: ParkedMessage): string {
  const err = m.lastError ? `\n    last error ${m.lastError.at} in ${m.lastError.function}: ${m.lastError.error.split('\n')[0]}` : '';
  return `${m.messageId}  ${m.detailType ?? '(not an event)'}  order ${m.orderId ?? '-'}  correlation ${m.correlationId ?? '-'}  receives ${m.receiveCount}  sent ${m.sentAt}${err}`;
}

/** The last error a consumer logged for each event id: `eventId → {at, function, error}`. */
export type LastErrorLookup = (eventIds: string[]) => Promise<Map<string, LastError>>;

/** Bytes read from the end of each offline log file: the recent past, bounded. */
const LOG_TAIL_BYTES = 8 * 1024 * 1024;

/**
 * Offline: the consumers' log files (.offline/logs/<function>.log). The shared consumer logs every failed record as
 * one ERROR line with eventId and the error (functions/shared/event-consumer.ts); the newest one per event wins.
 * `functions` narrows to the consumer's own log files (a DLQ belongs to one consumer).
 */
export function offlineLastErrors(directory: string, functions?: string[]): LastErrorLookup {
  return async (eventIds) => {
    const wanted = new Set(eventIds);
    const found = new Map<string, LastError>();
    if (!wanted.size || !existsSync(directory)) return found;
    const files = readdirSync(directory).filter((f) => f.endsWith('.log') && (!functions || functions.includes(f.slice(0, -4))));
    for (const file of files) {
      const full = path.join(directory, file);
      const size = statSync(full).size;
      const length = Math.min(size, LOG_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      const fd = openSync(full, 'r');
      try {
        readSync(fd, buffer, 0, length, size - length);
      } finally {
        closeSync(fd);
      }
      for (const line of buffer.toString('utf8').split('\n')) {
        if (!line.includes('"level":"ERROR"') || !line.includes('"eventId"')) continue;
        let entry: { eventId?: string; timestamp?: string; function_name?: string; error?: { name?: string; message?: string } };
        try {
          entry = JSON.parse(line);
        } catch {
          continue; // the first line of a tail is usually cut
        }
        if (!entry.eventId || !wanted.has(entry.eventId)) continue;
        const at = entry.timestamp ?? '';
        if ((found.get(entry.eventId)?.at ?? '') > at) continue;
        found.set(entry.eventId, {
          at,
          function: entry.function_name ?? file.slice(0, -4),
          error: `${entry.error?.name ?? 'Error'}: ${entry.error?.message ?? '(no message)'}`,
        });
      }
    }
    return found;
  };
}

/**
 * AWS: CloudWatch Logs Insights on the consumer's log group, the same ERROR lines. Bounded: ids in chunks of 50, a
 * window from `since` to now, and at most 30 polls of a second per query.
 */
export function insightsLastErrors(
  logs: Pick<CloudWatchLogsClient, 'send'>,
  logGroup: string,
  functionName: string,
  since: Date,
): LastErrorLookup {
  return async (eventIds) => {
    const found = new Map<string, LastError>();
    for (let i = 0; i < eventIds.length; i += 50) {
      const ids = eventIds.slice(i, i + 50).map((id) => JSON.stringify(id));
      const { queryId } = await logs.send(
        new StartQueryCommand({
          logGroupName: logGroup,
          startTime: Math.floor(since.getTime() / 1000),
          endTime: Math.ceil(Date.now() / 1000),
          queryString: `fields @timestamp, eventId, error.name, error.message | filter level = "ERROR" and eventId in [${ids.join(', ')}] | sort @timestamp desc | limit 1000`,
        }),
      );
      for (let poll = 0; poll < 30; poll++) {
        await new Promise((r) => setTimeout(r, 1000));
        const res = await logs.send(new GetQueryResultsCommand({ queryId }));
        if (res.status === 'Running' || res.status === 'Scheduled') continue;
        for (const row of res.results ?? []) {
          const field = (name: string) => row.find((f) => f.field === name)?.value;
          const eventId = field('eventId');
          if (!eventId || found.has(eventId)) continue; // newest first
          found.set(eventId, {
            at: field('@timestamp') ?? '',
            function: functionName,
            error: `${field('error.name') ?? 'Error'}: ${field('error.message') ?? ''}`,
          });
        }
        break;
      }
    }
    return found;
  };
}

export type RedriveMethod = 'move-task' | 'copy';

export interface RedriveRequest {
  dlqUrl: string;
  sourceUrl: string;
  /** Move only these (by SQS message id, or by the event's data.orderId); all when neither is given. */
  messageIds?: string[];
  orderIds?: string[];
  max?: number;
  /** Default: move-task when the target has it and the whole queue goes, else copy. */
  method?: RedriveMethod;
  send: boolean;
}

export interface RedriveTarget {
  name: string;
  sqs: Sqs;
  /** Whether the SQS endpoint has StartMessageMoveTask (AWS, LocalStack: yes; fauxqs offline: no). */
  hasMoveTask: boolean;
  audit: AuditSink;
  sts?: Parameters<typeof whoAmI>[0];
  /** Who acts when it is not a shell user (the /ops page). */
  actor?: string;
}

export interface RedriveOutcome {
  method: RedriveMethod;
  selected: ParkedMessage[];
  moved: string[];
  failed: { id: string; error: string }[];
  taskHandle?: string;
  audit?: AuditRecord;
  exitCode: number;
}

const wholeQueue = (r: RedriveRequest) => !r.messageIds?.length && !r.orderIds?.length && r.max === undefined;

/** The method a request gets, or an error naming the argument when the forced one cannot do it. */
export function chooseMethod(r: RedriveRequest, hasMoveTask: boolean): RedriveMethod {
  if (r.method === 'move-task') {
    if (!hasMoveTask) throw new Error('--method move-task: this SQS endpoint has no StartMessageMoveTask (offline: use copy)');
    if (!wholeQueue(r)) throw new Error('--method move-task moves the whole queue: it cannot take --message-id, --order or [max]');
    return 'move-task';
  }
  if (r.method === 'copy') return 'copy';
  return hasMoveTask && wholeQueue(r) ? 'move-task' : 'copy';
}

async function queueArn(sqs: Sqs, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}

/**
 * StartMessageMoveTask from the DLQ to the source queue, then waits (at most `waitSeconds`) for the task to end
 * and returns how many messages it moved.
 */
export async function startMoveTask(
  sqs: Sqs,
  dlqUrl: string,
  sourceUrl: string,
  opts: { waitSeconds?: number; pollMs?: number } = {},
): Promise<{ taskHandle: string; status: string; moved: number; failureReason?: string }> {
  const SourceArn = await queueArn(sqs, dlqUrl);
  const DestinationArn = await queueArn(sqs, sourceUrl);
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn, DestinationArn }));
  const deadline = Date.now() + (opts.waitSeconds ?? 300) * 1000;
  let status = 'RUNNING';
  let moved = 0;
  let failureReason: string | undefined;
  while (Date.now() < deadline) {
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn, MaxResults: 1 }));
    const task = Results.find((t) => t.TaskHandle === TaskHandle) ?? Results[0];
    status = task?.Status ?? 'UNKNOWN';
    moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
    failureReason = task?.FailureReason;
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(status)) break;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 2000));
  }
  return { taskHandle: TaskHandle!, status, moved, ...(failureReason ? { failureReason } : {}) };
}

/** Dry run by default; with `send`, moves the chosen messages and records the run in the audit trail. */
export async function runRedrive(
  target: RedriveTarget,
  req: RedriveRequest,
  print: (line: string) => void = console.log,
  opts: { lastErrors?: LastErrorLookup; moveTaskWaitSeconds?: number; pollMs?: number } = {},
): Promise<RedriveOutcome> {
  const method = chooseMethod(req, target.hasMoveTask);
  const chosen = (m: ParkedMessage) =>
    wholeQueue(req) || req.max !== undefined
      ? true
      : (req.messageIds ?? []).includes(m.messageId) || (m.orderId !== undefined && (req.orderIds ?? []).includes(m.orderId));

  const outcome: RedriveOutcome = { method, selected: [], moved: [], failed: [], exitCode: 0 };
  const all = await receiveAll(target.sqs, req.dlqUrl);
  outcome.selected = all.filter(chosen).slice(0, req.max ?? MAX_SCAN);
  const keep = all.filter((m) => !outcome.selected.includes(m));
  const unmatched = [
    ...(req.messageIds ?? []).filter((id) => !all.some((m) => m.messageId === id)).map((id) => `--message-id ${id}`),
    ...(req.orderIds ?? []).filter((id) => !all.some((m) => m.orderId === id)).map((id) => `--order ${id}`),
  ];

  if (!req.send || method === 'move-task') {
    // A dry run, or the move task (which moves them itself): hand every message back untouched first.
    await release(target.sqs, req.dlqUrl, all);
    if (opts.lastErrors) {
      const errors = await opts.lastErrors(outcome.selected.flatMap((m) => (m.eventId ? [m.eventId] : [])));
      for (const m of outcome.selected) if (m.eventId) m.lastError = errors.get(m.eventId);
    }
    for (const m of outcome.selected) print(`${req.send ? 'moving' : 'would move'} ${formatParked(m)}`);
    for (const u of unmatched) print(`not in the DLQ: ${u}`);
  }
  if (!req.send) {
    print(
      `dry run (${method}): ${outcome.selected.length} of ${all.length} message(s) would move from ${req.dlqUrl} to ${req.sourceUrl}; add --send to move them`,
    );
    return outcome;
  }

  let note: string | undefined;
  if (method === 'move-task') {
    const task = await startMoveTask(target.sqs, req.dlqUrl, req.sourceUrl, { waitSeconds: opts.moveTaskWaitSeconds, pollMs: opts.pollMs });
    outcome.taskHandle = task.taskHandle;
    note = `StartMessageMoveTask ${task.status}, ${task.moved} moved${task.failureReason ? `: ${task.failureReason}` : ''}`;
    // The task moves what is in the queue when it runs: the ids listed are what was there just before.
    if (task.status === 'COMPLETED') outcome.moved = outcome.selected.map((m) => m.messageId);
    else outcome.failed = [{ id: task.taskHandle, error: note }];
  } else {
    for (const m of outcome.selected) {
      try {
        await target.sqs.send(
          new SendMessageCommand({ QueueUrl: req.sourceUrl, MessageBody: m.body, MessageAttributes: m.messageAttributes }),
        );
        await target.sqs.send(new DeleteMessageCommand({ QueueUrl: req.dlqUrl, ReceiptHandle: m.receiptHandle }));
        outcome.moved.push(m.messageId);
        print(`moved ${formatParked(m)}`);
      } catch (err) {
        outcome.failed.push({ id: m.messageId, error: (err as Error).message });
        print(`NOT MOVED ${m.messageId}: ${(err as Error).message}`);
      }
    }
    // The ones not chosen, and the ones that failed, are visible again at once (not after the hold).
    await release(target.sqs, req.dlqUrl, [...keep, ...outcome.selected.filter((m) => !outcome.moved.includes(m.messageId))]);
    for (const u of unmatched) print(`not in the DLQ: ${u}`);
  }

  const who = await whoAmI(target.sts);
  outcome.audit = {
    id: newAuditId(),
    tool: 'redrive',
    at: new Date().toISOString(),
    who: target.actor ? { ...who, user: `${who.user} (${target.actor})` } : who,
    target: target.name,
    from: req.dlqUrl,
    to: req.sourceUrl,
    selection: { messageIds: req.messageIds, orderIds: req.orderIds, max: req.max, method: req.method ?? 'auto' },
    method,
    ids: outcome.selected.map((m) => m.messageId),
    result: { ok: outcome.failed.length === 0, done: outcome.moved.length, failed: outcome.failed, ...(note ? { note } : {}) },
  };
  const warning = await writeAudit(outcome.audit, target.audit);
  if (warning) print(`warning: ${warning}`);
  print(
    `${method}: moved ${outcome.moved.length} of ${outcome.selected.length} message(s) from ${req.dlqUrl} to ${req.sourceUrl}; audit ${outcome.audit.id}`,
  );
  outcome.exitCode = outcome.failed.length ? 1 : 0;
  return outcome;
}

/** Copies every message back (at most `max`), without an audit record: the e2e tests' shortcut. */
export async function redrive(sqs: SQSClient, dlqUrl: string, sourceUrl: string, max = 1000): Promise<number> {
  const outcome = await runRedrive(
    { name: 'test', sqs, hasMoveTask: false, audit: {} },
    { dlqUrl, sourceUrl, max, method: 'copy', send: true },
    () => undefined,
  );
  return outcome.moved.length;
}

export const REDRIVE_USAGE = `usage: npm run redrive -- list <dlq-url> [<source-queue-url>] [--stack <name>]
       npm run redrive -- <dlq-url> <source-queue-url> [max] [--message-id <id>]... [--order <orderId>]...
                         [--method move-task|copy] [--send] [--stack <name>]
  Dry run by default; --send moves. (npx tsx scripts/redrive.ts … works the same.)`;

/**
 * An SQS queue URL as AWS, LocalStack and the offline emulator write them: http(s)://<host>/<12-digit account>/<queue
 * name>. A queue ARN or a bare name is refused here rather than by SQS, whose error would not say which argument.
 */
const QUEUE_URL = /^https?:\/\/[^/\s]+\/\d{12}\/[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,100}$/;

export type RedriveArgs =
  | { command: 'list'; dlqUrl: string; sourceUrl?: string; stack?: string }
  | ({ command: 'redrive'; stack?: string } & RedriveRequest);

function checkUrl(name: string, url: string) {
  if (!QUEUE_URL.test(url))
    throw new Error(`${name} '${url}' is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)`);
}

/** The CLI's arguments, checked; throws an Error naming the first bad one. */
export function parseRedriveArgs(argv: string[]): RedriveArgs {
  let positionals: string[];
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ positionals, values } = parseArgs({
      args: argv,
      options: {
        send: { type: 'boolean' },
        'message-id': { type: 'string', multiple: true },
        order: { type: 'string', multiple: true },
        method: { type: 'string' },
        stack: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    // parseArgs names the option: "Unknown option '--force'".
    throw new Error((err as Error).message);
  }
  const stack = values.stack as string | undefined;
  if (stack !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stack)) throw new Error(`--stack '${stack}' is not a stack name`);
  if (positionals[0] === 'list') {
    const [, dlqUrl, sourceUrl, ...extra] = positionals;
    if (!dlqUrl) throw new Error('missing <dlq-url>');
    checkUrl('<dlq-url>', dlqUrl);
    if (sourceUrl) checkUrl('<source-queue-url>', sourceUrl);
    if (extra.length) throw new Error(`unexpected argument '${extra[0]}'`);
    for (const option of ['send', 'message-id', 'order', 'method'])
      if (values[option] !== undefined) throw new Error(`--${option} does not apply to list`);
    return { command: 'list', dlqUrl, ...(sourceUrl ? { sourceUrl } : {}), ...(stack ? { stack } : {}) };
  }
  const [dlqUrl, sourceUrl, max, ...extra] = positionals;
  if (!dlqUrl) throw new Error('missing <dlq-url>');
  if (!sourceUrl) throw new Error('missing <source-queue-url>');
  checkUrl('<dlq-url>', dlqUrl);
  checkUrl('<source-queue-url>', sourceUrl);
  if (dlqUrl === sourceUrl) throw new Error(`<dlq-url> and <source-queue-url> are the same queue: ${dlqUrl}`);
  if (max !== undefined && !/^[1-9]\d*$/.test(max)) throw new Error(`[max] '${max}' is not a positive whole number`);
  if (extra.length) throw new Error(`unexpected argument '${extra[0]}'`);
  const messageIds = (values['message-id'] as string[] | undefined) ?? [];
  const orderIds = (values.order as string[] | undefined) ?? [];
  for (const id of messageIds) if (!MESSAGE_ID.test(id)) throw new Error(`--message-id '${id}' is not an SQS message id`);
  for (const id of orderIds) if (!ORDER_ID.test(id)) throw new Error(`--order '${id}' is not an order id`);
  const method = values.method as string | undefined;
  if (method !== undefined && method !== 'move-task' && method !== 'copy') throw new Error(`--method '${method}' is not move-task or copy`);
  const request: RedriveRequest = {
    dlqUrl,
    sourceUrl,
    ...(max !== undefined ? { max: Number(max) } : {}),
    ...(messageIds.length ? { messageIds } : {}),
    ...(orderIds.length ? { orderIds } : {}),
    ...(method ? { method: method as RedriveMethod } : {}),
    send: values.send === true,
  };
  // The move task cannot choose messages: refuse the combination here, naming it, whatever the target.
  if (method === 'move-task' && !wholeQueue(request)) chooseMethod(request, true);
  return { command: 'redrive', ...request, ...(stack ? { stack } : {}) };
}
