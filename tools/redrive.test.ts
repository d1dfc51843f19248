/**
 * The redrive CLI refuses bad arguments by name, before touching a queue: an operator mid-incident pasting the
 * wrong thing (an ARN, the queues swapped into one, a flag from another tool) must learn which argument is wrong.
 * The copy path runs against the real SQS emulator (fauxqs): a dry run moves nothing, chosen messages move and the
 * others stay, one audit record per run. The move-task path (AWS only) is checked for its request shape.
 * A message parked by a real consumer, with its last error, is covered end to end (test/e2e/delivery-guarantees.test.ts).
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from './audit';
import { chooseMethod, listDlq, parseRedriveArgs, type RedriveTarget, runRedrive, startMoveTask } from './redrive';

const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ShopWave-PaymentsDlq';
const SOURCE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ShopWave-PaymentsQueue';
const ROOT = path.resolve(import.meta.dirname, '..');

describe('parseRedriveArgs', () => {
  it('accepts AWS, LocalStack and offline queue URLs, with and without a max', () => {
    expect(parseRedriveArgs([DLQ, SOURCE])).toEqual({ command: 'redrive', dlqUrl: DLQ, sourceUrl: SOURCE, send: false });
    expect(parseRedriveArgs([DLQ, SOURCE, '25'])).toEqual({ command: 'redrive', dlqUrl: DLQ, sourceUrl: SOURCE, max: 25, send: false });
    const localstack = 'http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/orders-dlq';
    const offline = 'http://sqs.us-east-1.127.0.0.1:41234/000000000000/orders.fifo';
    expect(parseRedriveArgs([localstack, offline])).toMatchObject({ sourceUrl: offline });
  });

  it('takes list, --send, chosen messages, a method and a stack', () => {
    expect(parseRedriveArgs(['list', DLQ])).toEqual({ command: 'list', dlqUrl: DLQ });
    expect(parseRedriveArgs(['list', DLQ, SOURCE, '--stack', 'ShopWave'])).toEqual({
      command: 'list',
      dlqUrl: DLQ,
      sourceUrl: SOURCE,
      stack: 'ShopWave',
    });
    expect(
      parseRedriveArgs([DLQ, SOURCE, '--send', '--message-id', 'm-1', '--message-id', 'm-2', '--order', 'o-1', '--method', 'copy']),
    ).toEqual({
      command: 'redrive',
      dlqUrl: DLQ,
      sourceUrl: SOURCE,
      messageIds: ['m-1', 'm-2'],
      orderIds: ['o-1'],
      method: 'copy',
      send: true,
    });
    expect(parseRedriveArgs([DLQ, SOURCE, '--method', 'move-task', '--send'])).toMatchObject({ method: 'move-task', send: true });
  });

  it.each([
    [[], /missing <dlq-url>/],
    [[DLQ], /missing <source-queue-url>/],
    [['arn:aws:sqs:eu-west-1:123456789012:ShopWave-PaymentsDlq', SOURCE], /<dlq-url> 'arn:aws:sqs:.*' is not an SQS queue URL/],
    [[DLQ, 'ShopWave-PaymentsQueue'], /<source-queue-url> 'ShopWave-PaymentsQueue' is not an SQS queue URL/],
    [[DLQ, 'https://sqs.eu-west-1.amazonaws.com/ShopWave-PaymentsQueue'], /<source-queue-url> .* is not an SQS queue URL/],
    [[DLQ, DLQ], /same queue/],
    [[DLQ, SOURCE, '0'], /\[max\] '0' is not a positive whole number/],
    [[DLQ, SOURCE, 'all'], /\[max\] 'all'/],
    [[DLQ, SOURCE, '5', 'extra'], /unexpected argument 'extra'/],
    [['--force', DLQ, SOURCE], /Unknown option '--force'/],
    [[DLQ, SOURCE, '--method', 'fast'], /--method 'fast' is not move-task or copy/],
    [[DLQ, SOURCE, '--method', 'move-task', '--order', 'o-1'], /--method move-task moves the whole queue/],
    [[DLQ, SOURCE, '5', '--method', 'move-task'], /--method move-task moves the whole queue/],
    [[DLQ, SOURCE, '--order', 'o 1'], /--order 'o 1' is not an order id/],
    [[DLQ, SOURCE, '--message-id', 'a/b'], /--message-id 'a\/b' is not an SQS message id/],
    [[DLQ, SOURCE, '--stack', '9x'], /--stack '9x' is not a stack name/],
    [['list'], /missing <dlq-url>/],
    [['list', 'ShopWave-PaymentsDlq'], /<dlq-url> 'ShopWave-PaymentsDlq' is not an SQS queue URL/],
    [['list', DLQ, '--send'], /--send does not apply to list/],
  ])('refuses %j naming what is wrong', (argv, message) => {
    expect(() => parseRedriveArgs(argv)).toThrow(message);
  });
});

describe('npx tsx scripts/redrive.ts', () => {
  const run = (...argv: string[]) =>
    spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/redrive.ts', ...argv], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('exits 2 with the reason and the usage for a bad argument, printing nothing on stdout', () => {
    for (const [argv, reason] of [
      [['--dry-run', DLQ, SOURCE], "Unknown option '--dry-run'"], // dry run is the default; --send moves
      [[DLQ, SOURCE, '--method', 'move-task', '--message-id', 'm-1'], '--method move-task moves the whole queue'],
      [[DLQ, 'not-a-url'], "<source-queue-url> 'not-a-url' is not an SQS queue URL"],
      [[], 'missing <dlq-url>'],
    ] as const) {
      const res = run(...argv);
      expect(res.status, res.stderr).toBe(2);
      expect(res.stderr).toContain(reason);
      expect(res.stderr).toContain('usage: npm run redrive');
      expect(res.stdout).toBe('');
    }
  });
});

describe('redrive on the SQS emulator (copy)', () => {
  let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  let sqs: SQSClient;
  const dir = mkdtempSync(path.join(tmpdir(), 'redrive-audit-'));
  const auditFile = path.join(dir, 'mitigations.jsonl');

  beforeAll(async () => {
    fauxqs = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
    sqs = new SQSClient({
      endpoint: `http://127.0.0.1:${fauxqs.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });
  afterAll(() => fauxqs?.stop());

  /** A consumer queue and its DLQ, with `orders.length` parked events (one per order id). */
  async function parked(orders: string[]) {
    const name = `q${randomUUID().slice(0, 8)}`;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    const sourceUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 5 }) },
        }),
      )
    ).QueueUrl!;
    const ids: Record<string, string> = {};
    for (const orderId of orders) {
      const event = {
        'detail-type': 'order.paid',
        detail: { metadata: { eventId: randomUUID(), correlationId: `c-${orderId}` }, data: { orderId } },
      };
      ids[orderId] = (await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify(event) }))).MessageId!;
    }
    return { dlqUrl, sourceUrl, ids };
  }

  async function drain(queueUrl: string): Promise<string[]> {
    const orders: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30 }),
      );
      if (!Messages.length) break;
      orders.push(...Messages.map((m) => JSON.parse(m.Body!).detail.data.orderId));
    }
    return orders.sort();
  }

  const target = (): RedriveTarget => ({ name: 'offline', sqs, hasMoveTask: false, audit: { file: auditFile } });
  const records = (): AuditRecord[] =>
    existsSync(auditFile)
      ? readFileSync(auditFile, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : [];

  it('lists what is parked and leaves it there', async () => {
    const { dlqUrl } = await parked(['o-1', 'o-2']);
    const listed = await listDlq(sqs, dlqUrl);
    expect(listed.map((m) => [m.detailType, m.orderId, m.correlationId]).sort()).toEqual([
      ['order.paid', 'o-1', 'c-o-1'],
      ['order.paid', 'o-2', 'c-o-2'],
    ]);
    expect(listed.every((m) => m.receiveCount >= 1 && Date.parse(m.sentAt) > Date.now() - 60_000)).toBe(true);
    // Released at once, not after the hold: a second look sees them again.
    expect((await listDlq(sqs, dlqUrl)).length).toBe(2);
  });

  it('moves nothing on a dry run and writes no audit record', async () => {
    const { dlqUrl, sourceUrl } = await parked(['o-1', 'o-2', 'o-3']);
    const before = records().length;
    const lines: string[] = [];
    const outcome = await runRedrive(target(), { dlqUrl, sourceUrl, send: false }, (l) => lines.push(l));
    expect(outcome.selected).toHaveLength(3);
    expect(outcome.moved).toEqual([]);
    expect(lines.at(-1)).toMatch(/^dry run \(copy\): 3 of 3 message\(s\) would move/);
    expect(await drain(sourceUrl)).toEqual([]);
    expect(await drain(dlqUrl)).toEqual(['o-1', 'o-2', 'o-3']);
    expect(records().length).toBe(before);
  });

  it('moves the chosen messages (by message id and by order id), leaves the others, and audits the run once', async () => {
    const { dlqUrl, sourceUrl, ids } = await parked(['o-1', 'o-2', 'o-3', 'o-4']);
    const before = records().length;
    const outcome = await runRedrive(
      target(),
      { dlqUrl, sourceUrl, messageIds: [ids['o-1']], orderIds: ['o-3', 'o-missing'], send: true },
      () => undefined,
    );
    expect(outcome.exitCode).toBe(0);
    expect(outcome.moved.sort()).toEqual([ids['o-1'], ids['o-3']].sort());
    expect(await drain(sourceUrl)).toEqual(['o-1', 'o-3']);
    expect(await drain(dlqUrl)).toEqual(['o-2', 'o-4']);

    const written = records().slice(before);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      tool: 'redrive',
      target: 'offline',
      from: dlqUrl,
      to: sourceUrl,
      method: 'copy',
      selection: { messageIds: [ids['o-1']], orderIds: ['o-3', 'o-missing'] },
      result: { ok: true, done: 2, failed: [] },
    });
    expect(written[0].ids.sort()).toEqual([ids['o-1'], ids['o-3']].sort());
    expect(written[0].who.user).toBeTruthy();
    expect(Date.parse(written[0].at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('moves at most [max] when asked for a count', async () => {
    const { dlqUrl, sourceUrl } = await parked(['o-1', 'o-2', 'o-3']);
    const outcome = await runRedrive(target(), { dlqUrl, sourceUrl, max: 2, send: true }, () => undefined);
    expect(outcome.moved).toHaveLength(2);
    expect((await drain(sourceUrl)).length).toBe(2);
    expect((await drain(dlqUrl)).length).toBe(1);
  });

  it('reports a message it could not move and exits non-zero, keeping it in the DLQ', async () => {
    const { dlqUrl } = await parked(['o-1']);
    const gone = dlqUrl.replace(/\/[^/]+$/, '/no-such-queue');
    const outcome = await runRedrive(target(), { dlqUrl, sourceUrl: gone, send: true }, () => undefined);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.failed).toHaveLength(1);
    expect(records().at(-1)!.result.ok).toBe(false);
    expect(await drain(dlqUrl)).toEqual(['o-1']);
  });
});

describe('redrive with StartMessageMoveTask (AWS)', () => {
  it('picks the move task only for a whole queue on a target that has it', () => {
    const whole = { dlqUrl: DLQ, sourceUrl: SOURCE, send: true };
    expect(chooseMethod(whole, true)).toBe('move-task');
    expect(chooseMethod(whole, false)).toBe('copy');
    expect(chooseMethod({ ...whole, orderIds: ['o-1'] }, true)).toBe('copy');
    expect(chooseMethod({ ...whole, method: 'copy' }, true)).toBe('copy');
    expect(() => chooseMethod({ ...whole, method: 'move-task' }, false)).toThrow(/no StartMessageMoveTask/);
  });

  // A stub that records the calls: the request shape only (AWS's behaviour is AWS's; offline has no move task).
  it('starts a task from the DLQ ARN to the source ARN and waits for it to complete', async () => {
    const calls: { name: string; input: any }[] = [];
    let polls = 0;
    const sqs = {
      send: async (command: { constructor: { name: string }; input: any }) => {
        calls.push({ name: command.constructor.name, input: command.input });
        if (command instanceof GetQueueAttributesCommand)
          return {
            Attributes: {
              QueueArn:
                command.input.QueueUrl === DLQ ? 'arn:aws:sqs:eu-west-1:123456789012:Dlq' : 'arn:aws:sqs:eu-west-1:123456789012:Src',
            },
          };
        if (command instanceof StartMessageMoveTaskCommand) return { TaskHandle: 'handle-1' };
        if (command instanceof ListMessageMoveTasksCommand)
          return {
            Results: [{ TaskHandle: 'handle-1', Status: ++polls < 2 ? 'RUNNING' : 'COMPLETED', ApproximateNumberOfMessagesMoved: 7 }],
          };
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    } as unknown as SQSClient;
    const task = await startMoveTask(sqs, DLQ, SOURCE, { pollMs: 1 });
    expect(task).toEqual({ taskHandle: 'handle-1', status: 'COMPLETED', moved: 7 });
    const start = calls.find((c) => c.name === 'StartMessageMoveTaskCommand')!;
    expect(start.input).toEqual({
      SourceArn: 'arn:aws:sqs:eu-west-1:123456789012:Dlq',
      DestinationArn: 'arn:aws:sqs:eu-west-1:123456789012:Src',
    });
    expect(calls.filter((c) => c.name === 'ListMessageMoveTasksCommand').map((c) => c.input)).toEqual([
      { SourceArn: 'arn:aws:sqs:eu-west-1:123456789012:Dlq', MaxResults: 1 },
      { SourceArn: 'arn:aws:sqs:eu-west-1:123456789012:Dlq', MaxResults: 1 },
    ]);
    expect(calls.some((c) => /Receive|Delete|SendMessage/.test(c.name))).toBe(false);
  });
});
