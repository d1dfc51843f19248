/**
 * The game-day scenarios about events, end to end on one offline platform at test speed (one metric minute = 8 s),
 * run by the kit (offline/shopwave/game-day-run.ts, the code behind `npm run game-day -- run`), as game-day.test.ts:
 * - tracking-stops-reaching-analytics (seed 000, challenge 2): analytics' rule stops matching tracking.updated;
 *   TrackingNotIngested must fire and nothing else; the runner's mitigation replays the window's tracking from the
 *   outbox, after which analytics holds every tracking point of every order, each once.
 * - event-chaos (seed 002): duplicates, reordering and poison; NotificationsConsumerDeadLetters must fire and nothing
 *   else, every event has one effect (counted per order in the tables), and the redrive after the fix delivers every
 *   parked notification, once.
 * Tracking runs first: event-chaos holds analytics' deliveries back a little, which must not count against it.
 */
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGameDay } from '../../offline/shopwave/game-day-run';
import type { GameDayResult } from '../../tools/game-day/report';
import { scenarioNamed } from '../../tools/game-day/scenarios';
import { selectOutboxRows } from '../../tools/replay';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
/** Every event on the bus: the duplicates the relay published, by event id. */
const onBus: { detailType: string; eventId: string; at: number }[] = [];
beforeAll(async () => {
  t = await startTestPlatform({ timeScale: 2 / 15 });
  t.platform.onEvent((e: any) => {
    const eventId = e.detail?.metadata?.eventId;
    if (eventId) onBus.push({ detailType: e['detail-type'], eventId, at: Date.now() });
  });
});
afterAll(() => t?.stop());

const scanAll = async (logicalId: string): Promise<any[]> => {
  const items: any[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const res = await t.doc.send(new ScanCommand({ TableName: t.table(logicalId), ConsistentRead: true, ExclusiveStartKey }));
    items.push(...(res.Items ?? []));
    ExclusiveStartKey = res.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
};

/** How many times each key occurs. */
const countBy = <T>(items: T[], key: (i: T) => string) => {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  return counts;
};

async function run(name: string): Promise<GameDayResult> {
  const scenario = scenarioNamed(name);
  const { result } = await runGameDay(scenario, {
    platform: t.platform,
    speed: 'test',
    mitigate: true,
    report: false,
    baselineMinutes: 1,
    log: () => {},
  });
  console.log(
    `${name}: TTD ${JSON.stringify(result.ttd)} false leads ${JSON.stringify(result.falseLeads)} impact ${result.impact.orders.inWindow} orders in window; ${result.mitigationSteps.map((s) => s.what).join(' | ')}`,
  );
  expect(result.baselineAlarms).toEqual([]);
  for (const alarm of scenario.alarms.expected) expect(result.ttd[alarm], `${alarm} fired`).toBeGreaterThan(0);
  expect(result.falseLeads).toEqual([]);
  expect(result.recovery).toMatchObject({ alarmsOk: true, allTerminal: true, moneyReconciled: true, stockConserved: true });
  expect(result.impact.money.charged).toBe(result.impact.money.deliveredValue + result.impact.money.refunded);
  expect(t.platform.gameDay.open()).toEqual([]);
  expect(result.impact.orders.inWindow).toBeGreaterThan(0);
  return result;
}

describe('game-day scenarios about events, on one offline platform', { timeout: 300_000 }, () => {
  it('tracking-stops-reaching-analytics: TrackingNotIngested only; the replay gets every missed point into analytics, once', async () => {
    const result = await run('tracking-stops-reaching-analytics');
    const replayStep = result.mitigationSteps.find((s) => s.what.startsWith('npm run replay'));
    expect(replayStep?.what).toMatch(/re-published [1-9]\d* event\(s\).*its queue drained/);

    // Every delivered order of the run, the window's included: analytics has each tracking point shipping committed
    // (the outbox's tracking.updated of the order, by event id), each once, and no longer awaits tracking for it.
    const src = { doc: t.doc, outboxTable: t.table('DataOutbox') };
    const delivered = result.orders.filter((o) => o.status === 'DELIVERED');
    const inWindow = delivered.filter((o) => Date.parse(o.createdAt) >= result.injectedAt && Date.parse(o.createdAt) < result.mitigatedAt!);
    expect(inWindow.length).toBeGreaterThan(0);
    for (const o of delivered) {
      const committed = (await selectOutboxRows(src, { orderIds: [o.orderId], detailTypes: ['tracking.updated'] })).map((r) => r.eventId);
      expect(committed.length, `${o.orderId} has tracking in the outbox`).toBeGreaterThan(0);
      const timeline = (
        await t.doc.send(
          new QueryCommand({
            TableName: t.table('DataAnalytics'),
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
            ExpressionAttributeValues: { ':pk': `ORDER#${o.orderId}`, ':e': 'EVENT#' },
            ConsistentRead: true,
          }),
        )
      ).Items!.filter((i) => i.detailType === 'tracking.updated');
      expect(timeline.map((i) => i.eventId).sort(), `analytics' tracking of ${o.orderId}`).toEqual([...committed].sort());
    }
    // Counted once: analytics' per-minute counters of tracking.updated add up to the outbox's rows (the platform
    // has run nothing else yet), though the window's points went out twice (the original and the replay)...
    const counters = (await scanAll('DataAnalytics')).filter((i) => i.pk === 'TYPE#tracking.updated');
    const allTracking = await selectOutboxRows(src, { detailTypes: ['tracking.updated'] });
    expect(counters.reduce((n, c) => n + c.count, 0)).toBe(allTracking.length);
    // ...and it no longer awaits tracking for any order.
    const awaiting = (await scanAll('DataAnalytics')).filter((i) => i.sk === 'TRACKING' && i.awaitingTracking);
    expect(awaiting).toEqual([]);
  });

  it('event-chaos: NotificationsConsumerDeadLetters only; one effect per event, and the redrive delivers every parked one', async () => {
    const before = onBus.length;
    const result = await run('event-chaos');
    const ids = new Set(result.orders.map((o) => o.orderId));

    // The chaos happened: events on the bus more than once (same event id), poison parked and redriven.
    const copies = countBy(
      onBus.slice(before).filter((e) => e.at >= result.injectedAt && e.at < result.mitigatedAt!),
      (e) => e.eventId,
    );
    expect([...copies.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
    expect(result.mitigationSteps.some((s) => /redrove [1-9]\d* message/.test(s.what))).toBe(true);

    // One charge per charged order in the provider's ledger, one stock movement per order, product and kind.
    const charges = (await scanAll('DataProviderLedger')).filter((c) => c.kind === 'charge');
    for (const o of result.orders.filter((x) => x.milestones.CHARGED))
      expect(
        charges.filter((c) => JSON.stringify(c).includes(o.orderId)),
        `charges of ${o.orderId}`,
      ).toHaveLength(1);
    const moves = (await scanAll('DataInventory')).filter((m) => String(m.sk).startsWith('MOVE#') && ids.has(m.orderId));
    for (const [key, n] of countBy(moves, (m) => `${m.orderId} ${m.productId} ${m.kind}`)) expect(n, key).toBe(1);
    // Every delivered order's lines were reserved (once, above).
    for (const o of result.orders.filter((x) => x.status === 'DELIVERED'))
      for (const line of o.items)
        expect(moves.some((m) => m.orderId === o.orderId && m.productId === line.productId && m.kind === 'RESERVE')).toBe(true);

    // One notification per order and event type, and every order got its confirmation (the
    // poisoned ones through the redrive).
    const notifications = (await scanAll('DataNotifications')).filter((n) => ids.has(n.orderId));
    for (const [key, n] of countBy(notifications, (x) => `${x.orderId} ${x.detailType}`)) expect(n, key).toBe(1);
    for (const o of result.orders)
      expect(
        notifications.filter((n) => n.orderId === o.orderId && n.detailType === 'order.created'),
        `confirmation of ${o.orderId}`,
      ).toHaveLength(1);
    // And reordered: some order's notifications went out in another order than its events happened.
    const byOrder = new Map<string, any[]>();
    for (const n of notifications) byOrder.set(n.orderId, [...(byOrder.get(n.orderId) ?? []), n]);
    const outOfOrder = [...byOrder.values()].filter((ns) => {
      const byEvent = [...ns].sort((a, b) => String(a.sk).localeCompare(String(b.sk))).map((n) => n.eventId);
      const bySent = [...ns].sort((a, b) => a.sentAt.localeCompare(b.sentAt)).map((n) => n.eventId);
      return byEvent.join() !== bySent.join();
    });
    expect(outOfOrder.length).toBeGreaterThan(0);
  });
});
