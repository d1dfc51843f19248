/**
 * The replay CLI refuses bad arguments by name (an operator mid-incident must learn which one is wrong), and the
 * publisher sends in batches of 10, retries what EventBridge refuses and reports what never went out: against the
 * offline EventBridge emulator's real PutEvents endpoint. Selecting rows and a replay's effect on the consumers are
 * end to end (test/e2e/replay.test.ts).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxRow } from '../functions/shared/outbox';
import { EventBridgeEmulator } from '../offline/runtime/eventbridge-emulator';
import type { PlatformModel } from '../offline/runtime/model';
import { daysBetween, entryOf, parseReplayArgs, publishRows } from './replay';

const ROOT = path.resolve(import.meta.dirname, '..');
const NOW = new Date('2026-12-01T21:00:00Z');

describe('parseReplayArgs', () => {
  it('takes order ids, detail-types, a window, --send, --max and --stack', () => {
    expect(parseReplayArgs(['--order', 'o-1', '--order', 'o-2'], NOW)).toEqual({ orderIds: ['o-1', 'o-2'], send: false, max: 1000 });
    expect(
      parseReplayArgs(
        [
          '--detail-type',
          'order.paid',
          '--since',
          '2026-12-01T20:00:00Z',
          '--until',
          '2026-12-01T21:30:00+01:00',
          '--send',
          '--max',
          '50',
          '--stack',
          'ShopWave',
        ],
        NOW,
      ),
    ).toEqual({
      detailTypes: ['order.paid'],
      since: new Date('2026-12-01T20:00:00Z'),
      until: new Date('2026-12-01T20:30:00Z'),
      send: true,
      max: 50,
      stack: 'ShopWave',
    });
  });

  it.each([
    [[], /nothing selected: give --order, --detail-type or --since/],
    [['--send'], /nothing selected/],
    [['--order', 'o 1'], /--order 'o 1' is not an order id/],
    [['--detail-type', 'order.payed'], /--detail-type 'order.payed' is not one of the contracts: .*order\.paid/],
    [['--since', 'yesterday'], /--since 'yesterday' is not an ISO 8601 time with a zone/],
    [['--since', '2026-12-01T20:00:00'], /--since '2026-12-01T20:00:00' is not an ISO 8601 time with a zone/],
    [['--since', '2026-11-20T00:00:00Z'], /--since '2026-11-20T00:00:00Z' is older than the outbox retention \(72 h\)/],
    [['--order', 'o-1', '--until', 'now'], /--until 'now'/],
    [['--since', '2026-12-01T20:00:00Z', '--until', '2026-12-01T19:00:00Z'], /--since '2026-12-01T20:00:00Z' is not before --until/],
    [['--order', 'o-1', '--max', '0'], /--max '0' is not a whole number from 1 to 99999/],
    [['--order', 'o-1', '--stack', '9x'], /--stack '9x' is not a stack name/],
    [['--order', 'o-1', 'o-2'], /unexpected argument 'o-2'/],
    [['--orders', 'o-1'], /Unknown option '--orders'/],
  ])('refuses %j naming what is wrong', (argv, message) => {
    expect(() => parseReplayArgs(argv, NOW)).toThrow(message);
  });

  it('covers a window with the UTC days it spans', () => {
    expect(daysBetween(new Date('2026-11-29T23:59:00Z'), new Date('2026-12-01T00:00:00Z'))).toEqual([
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
    ]);
  });
});

describe('npm run replay (scripts/replay.ts)', () => {
  it('exits 2 with the reason and the usage for a bad argument, printing nothing on stdout', () => {
    for (const [argv, reason] of [
      [['--detail-type', 'order.payed'], "--detail-type 'order.payed' is not one of the contracts"],
      [['--since', 'yesterday'], "--since 'yesterday'"],
      [[], 'nothing selected'],
    ] as const) {
      const res = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/replay.ts', ...argv], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(res.status, res.stderr).toBe(2);
      expect(res.stderr).toContain(reason);
      expect(res.stderr).toContain('usage: npm run replay');
      expect(res.stdout).toBe('');
    }
  });
});

describe('publishRows on the EventBridge emulator', () => {
  const received: { detailType: string; detail: any; time: string }[] = [];
  const bus = new EventBridgeEmulator(
    { rules: [], naming: { region: 'us-east-1', accountId: '000000000000' } } as unknown as PlatformModel,
    {
      toQueue: async () => undefined,
      toFunction: () => undefined,
    },
  );
  let eventBridge: EventBridgeClient;
  beforeAll(async () => {
    eventBridge = new EventBridgeClient({
      endpoint: await bus.start(),
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    bus.onEvent((e) => received.push({ detailType: e['detail-type'], detail: e.detail, time: e.time }));
  });
  afterAll(() => bus.stop());

  const row = (i: number, detail?: string): OutboxRow => {
    const eventId = randomUUID();
    const createdAt = new Date(Date.UTC(2026, 11, 1, 20, 0, i)).toISOString();
    return {
      pk: `EVENT#${eventId}`,
      eventId,
      source: 'shopwave.orders',
      detailType: 'order.paid',
      detail: detail ?? JSON.stringify({ metadata: { eventId, occurredAt: createdAt }, data: { orderId: `o-${i}` } }),
      correlationId: `c-${i}`,
      createdAt,
      createdDay: createdAt.slice(0, 10),
      orderId: `o-${i}`,
      expiresAt: 0,
    };
  };

  it('sends the original envelope in batches of 10, and reports the entry refused on every attempt', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => row(i, i === 4 ? '[]' : undefined));
    const result = await publishRows(eventBridge, 'ShopWaveBus', rows, { backoffMs: 1 });
    expect(result.published).toEqual(rows.filter((_, i) => i !== 4).map((r) => r.eventId));
    expect(result.failed).toEqual([{ id: rows[4].eventId, error: 'MalformedDetail Detail must be a JSON object' }]);
    // Same detail, so the same metadata.eventId; the bus time is the event's own occurredAt.
    expect(received.map((e) => e.detail.metadata.eventId)).toEqual(result.published);
    expect(received[0]).toMatchObject({ detailType: 'order.paid', time: '2026-12-01T20:00:00Z' });
    expect(entryOf(rows[0], 'ShopWaveBus')).toEqual({
      EventBusName: 'ShopWaveBus',
      Source: 'shopwave.orders',
      DetailType: 'order.paid',
      Detail: rows[0].detail,
      Time: new Date(rows[0].createdAt),
    });
  });

  it('reports every row of a batch whose call fails (the bus unreachable)', async () => {
    const unreachable = new EventBridgeClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const rows = [row(50), row(51)];
    const result = await publishRows(unreachable, 'ShopWaveBus', rows, { backoffMs: 1 });
    expect(result.published).toEqual([]);
    expect(result.failed.map((f) => f.id)).toEqual(rows.map((r) => r.eventId));
  });
});
