/**
 * `npm run game-day -- report --stack <name>`: the same report folder as an offline run (./report.ts), for a
 * deployed stack (AWS or LocalStack), from what the stack recorded:
 *   - the injection and its clear from the injection log (.game-days/injections-<stack>.json, written by `inject`);
 *   - every alarm transition of the stack's alarms from CloudWatch's alarm history (DescribeAlarmHistory,
 *     StateUpdate items) and their state now (DescribeAlarms);
 *   - orders and payments from the stack's tables (found among its resources, like the injection target's functions).
 * The pure part (`stackGameDayResult`) is what the unit test checks; the rest only fetches.
 * Not measured on a stack: requests the API refused (customers' failed attempts are not in any table) and stock
 * conservation (there is no snapshot of the stock before the injection); the report says so.
 */
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { type AlarmHistoryItem, CloudWatchClient, paginateDescribeAlarmHistory, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { computeImpact, type OrderRow, type PaymentRow } from './impact';
import { defaultLogFile, fileLog, type Injection } from './inject';
import { type AlarmEvent, type GameDayResult, writeReport } from './report';
import type { Scenario } from './scenario';
import { SCENARIOS } from './scenarios';
import { scanAll } from './tables';

/** CloudWatch StateUpdate history items → the runner's alarm events (oldest first). Other item types are skipped. */
export function alarmEventsFromHistory(items: AlarmHistoryItem[]): AlarmEvent[] {
  const events: AlarmEvent[] = [];
  for (const item of items) {
    if (item.HistoryItemType !== 'StateUpdate' || !item.AlarmName || !item.Timestamp) continue;
    let data: { oldState?: { stateValue?: string }; newState?: { stateValue?: string; stateReason?: string } } = {};
    try {
      data = JSON.parse(item.HistoryData ?? '{}');
    } catch {
      // A history item whose data does not parse still says when: keep what the summary tells.
    }
    const to = data.newState?.stateValue ?? /to (ALARM|OK|INSUFFICIENT_DATA)/.exec(item.HistorySummary ?? '')?.[1];
    const from = data.oldState?.stateValue ?? /from (ALARM|OK|INSUFFICIENT_DATA)/.exec(item.HistorySummary ?? '')?.[1];
    if (!to || !from) continue;
    events.push({ alarmName: item.AlarmName, from, to, at: item.Timestamp.getTime(), reason: data.newState?.stateReason ?? '' });
  }
  return events.sort((a, b) => a.at - b.at);
}

const short = (name: string) => name.replace(/^[^-]+-/, '');
const TERMINAL = ['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];

export interface StackEvidence {
  stackName: string;
  scenario: Scenario;
  injection: Injection;
  /** Alarm transitions of the stack's alarms (names with the stack prefix), from the baseline on. */
  events: AlarmEvent[];
  /** The stack's alarms' state now. */
  states: { alarmName: string; state: string }[];
  orders: OrderRow[];
  payments: PaymentRow[];
  baselineFrom: number;
  now: number;
}

/** The report's result from a stack's evidence: TTD from the alarm history, impact from the tables. */
export function stackGameDayResult(evidence: StackEvidence): GameDayResult {
  // A target deploys only the alarms that can receive data there (docs/alarms-per-target.md: LocalStack has no
  // FlowGap, no Api5xxRate): an expected alarm the stack does not have is not "missed", and the report says so.
  const deployed = new Set(evidence.states.map((s) => short(s.alarmName)));
  const notDeployed = evidence.states.length ? evidence.scenario.alarms.expected.filter((a) => !deployed.has(a)) : [];
  const e: StackEvidence = notDeployed.length
    ? {
        ...evidence,
        scenario: {
          ...evidence.scenario,
          alarms: { ...evidence.scenario.alarms, expected: evidence.scenario.alarms.expected.filter((a) => deployed.has(a)) },
        },
      }
    : evidence;
  const injectedAt = Date.parse(e.injection.at);
  const clearedAt = e.injection.clearedAt ? Date.parse(e.injection.clearedAt) : undefined;
  const ours = e.events.filter((h) => h.alarmName.startsWith(`${e.stackName}-`) && h.at >= e.baselineFrom);
  const afterInjection = ours.filter((h) => h.at >= injectedAt && h.to === 'ALARM');
  const ttd: Record<string, number | undefined> = {};
  for (const a of e.scenario.alarms.expected) {
    const f = afterInjection.find((h) => short(h.alarmName) === a);
    ttd[a] = f ? f.at - injectedAt : undefined;
  }
  const allowed = new Set([...e.scenario.alarms.expected, ...(e.scenario.alarms.mayFire ?? [])]);
  const falseLeads = [...new Set(afterInjection.map((h) => short(h.alarmName)).filter((a) => !allowed.has(a)))];
  const baselineAlarms = [...new Set(ours.filter((h) => h.at < injectedAt && h.to === 'ALARM').map((h) => short(h.alarmName)))];
  const orders = e.orders.filter((o) => Date.parse(o.createdAt) >= e.baselineFrom);
  const ids = new Set(orders.map((o) => o.orderId));
  const payments = e.payments.filter((p) => ids.has(p.orderId));
  const impact = computeImpact({ orders, payments, refused: [], window: { from: injectedAt, to: clearedAt ?? e.now } });
  const stateOf = (a: string) => e.states.find((s) => short(s.alarmName) === a)?.state;
  const allTerminal = orders.every((o) => TERMINAL.includes(o.status));
  const notes = [
    'on a stack the report cannot count requests the API refused (no table holds them): see the Api5xxRate alarm and the dashboard',
    'stock conservation is not checked on a stack (no snapshot of the stock before the injection)',
  ];
  if (notDeployed.length) notes.push(`expected alarms this stack does not deploy (its target cannot feed them): ${notDeployed.join(', ')}`);
  const stillAlarming = e.scenario.alarms.expected.filter((a) => stateOf(a) === 'ALARM');
  if (stillAlarming.length) notes.push(`expected alarms still in ALARM now: ${stillAlarming.join(', ')}`);
  if (!clearedAt) notes.push('the injection is still open: run `npm run game-day -- clear --stack` to end it');
  const firstNotDelivered = orders
    .filter((o) => Date.parse(o.createdAt) >= injectedAt && o.status !== 'DELIVERED')
    .map((o) => Date.parse(o.milestones.CHARGED ?? o.createdAt))
    .sort((a, b) => a - b)[0];
  const lastTerminal = allTerminal
    ? Math.max(
        clearedAt ?? injectedAt,
        ...orders.flatMap((o) =>
          Object.values(o.milestones)
            .filter((m): m is string => !!m)
            .map(Date.parse),
        ),
      )
    : undefined;
  return {
    scenario: e.scenario,
    target: `stack ${e.stackName}`,
    speed: 'demo',
    metricMinuteMs: 60_000,
    startedAt: e.baselineFrom,
    baselineFrom: e.baselineFrom,
    injectedAt,
    injectedBy: e.injection.by,
    ttd,
    falseLeads,
    baselineAlarms,
    firstCustomerEffectAt: firstNotDelivered,
    firstCustomerEffect: firstNotDelivered ? e.scenario.customerEffect.what : undefined,
    mitigatedAt: clearedAt,
    mitigationSteps: clearedAt
      ? [{ at: clearedAt, what: `npm run game-day -- clear --stack ${e.stackName} by ${e.injection.clearedBy ?? 'unknown'}` }]
      : [],
    recoveredAt: clearedAt && lastTerminal ? lastTerminal : undefined,
    recovery: clearedAt
      ? {
          alarmsOk: stillAlarming.length === 0,
          allTerminal,
          moneyReconciled: impact.money.reconciled,
          // Not measurable here (see notes): reported as not checked rather than as conserved.
          stockConserved: null,
          notes,
        }
      : undefined,
    endedAt: e.now,
    alarmHistory: ours,
    impact,
    orders,
  };
}

/** Fetches the evidence of the stack's last injection (or the scenario's) and writes the report folder. */
export async function stackReport(root: string, stackName: string, opts: { scenario?: string; baselineMinutes?: number }): Promise<string> {
  const log = fileLog(defaultLogFile(root, stackName)).read();
  const injection = log.filter((i) => i.target === stackName && (!opts.scenario || i.scenario === opts.scenario)).at(-1);
  if (!injection)
    throw new Error(
      `no injection${opts.scenario ? ` of ${opts.scenario}` : ''} on ${stackName} in ${defaultLogFile(root, stackName)}: inject one with --stack first`,
    );
  const scenario = SCENARIOS.find((s) => s.name === injection.scenario);
  if (!scenario) throw new Error(`the log names scenario '${injection.scenario}', which this checkout does not know`);
  const now = Date.now();
  const baselineFrom = Date.parse(injection.at) - (opts.baselineMinutes ?? 15) * 60_000;
  const end = injection.clearedAt ? Math.min(now, Date.parse(injection.clearedAt) + 60 * 60_000) : now;

  const cw = new CloudWatchClient({});
  const items: AlarmHistoryItem[] = [];
  // Bounded: a game day's window, at most 100 pages.
  let pages = 0;
  for await (const page of paginateDescribeAlarmHistory(
    { client: cw },
    { HistoryItemType: 'StateUpdate', StartDate: new Date(baselineFrom), EndDate: new Date(end), ScanBy: 'TimestampAscending' },
  )) {
    items.push(...(page.AlarmHistoryItems ?? []).filter((i) => i.AlarmName?.startsWith(`${stackName}-`)));
    if (++pages >= 100) break;
  }
  const states: { alarmName: string; state: string }[] = [];
  for await (const page of paginateDescribeAlarms({ client: cw }, { AlarmNamePrefix: `${stackName}-` }))
    for (const a of page.MetricAlarms ?? []) states.push({ alarmName: a.AlarmName!, state: a.StateValue! });

  const tables = new Map<string, string>();
  for await (const page of paginateListStackResources({ client: new CloudFormationClient({}) }, { StackName: stackName }))
    for (const r of page.StackResourceSummaries ?? [])
      if (r.ResourceType === 'AWS::DynamoDB::Table') tables.set(r.LogicalResourceId!, r.PhysicalResourceId!);
  const table = (prefix: string) => {
    const found = [...tables].filter(([id]) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
    if (found.length !== 1) throw new Error(`expected one table ${prefix} in stack ${stackName}, found ${found.length}`);
    return found[0][1];
  };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const orders = await scanAll<OrderRow>(doc, table('DataOrders'), (r) => r.sk === 'ORDER' && Date.parse(r.createdAt) >= baselineFrom);
  const ids = new Set(orders.map((o) => o.orderId));
  const payments = await scanAll<PaymentRow>(doc, table('DataPayments'), (r) => r.sk === 'PAYMENT' && ids.has(r.orderId));
  const result = stackGameDayResult({
    stackName,
    scenario,
    injection,
    events: alarmEventsFromHistory(items),
    states,
    orders,
    payments,
    baselineFrom,
    now,
  });
  return writeReport(root, result);
}
