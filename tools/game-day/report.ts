/**
 * The report folder of one game day (.game-days/<timestamp>-<scenario>/, git-ignored): timeline, impact (from the
 * tables), plots (hand-rolled SVG), postmortem draft and three stakeholder updates, all from the same numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatMoney, type Impact, type OrderRow } from './impact';
import { describeLedger, type LedgerCheck } from './ledger';
import { describeLoad, type LoadSummary } from './load';
import type { Scenario } from './scenario';

export interface AlarmEvent {
  alarmName: string;
  from: string;
  to: string;
  at: number;
  reason: string;
}
export interface GameDayResult {
  scenario: Scenario;
  target: string;
  speed: 'demo' | 'test';
  metricMinuteMs: number;
  startedAt: number;
  baselineFrom: number;
  injectedAt: number;
  injectedBy: string;
  /** Alarm name (no stack prefix) → ms from injection to ALARM; missing = did not fire within the wait. */
  ttd: Record<string, number | undefined>;
  falseLeads: string[];
  baselineAlarms: string[];
  firstCustomerEffectAt?: number;
  firstCustomerEffect?: string;
  mitigatedAt?: number;
  mitigationSteps: { at: number; what: string }[];
  recoveredAt?: number;
  /** stockConserved null: not checked (a deployed stack has no snapshot of the stock before the injection). */
  recovery?: { alarmsOk: boolean; allTerminal: boolean; moneyReconciled: boolean; stockConserved: boolean | null; notes: string[] };
  endedAt: number;
  alarmHistory: AlarmEvent[];
  impact: Impact;
  /** The provider's ledger against our payment rows, for this run's orders (./ledger.ts). */
  ledger?: LedgerCheck;
  orders: OrderRow[];
  /**
   * Events the incident held back that the mitigation delivered after the fix (a DLQ redrive, an outbox replay): a
   * delay customers or teams felt even when every order ended well, so the updates say it.
   */
  deliveredAfterFix?: { consumer: string; via: 'redrive' | 'replay'; events: number; orders?: number }[];
  /** The injected load (scenario.inject.load), what it got back and what it had to leave true (runner's verifyLoad). */
  load?: { summary: LoadSummary; checks: { name: string; ok: boolean; detail: string }[]; ok: boolean };
}

/** "10 event(s) parked in NotificationsConsumer's DLQ (redriven), …", or '' when the mitigation delivered none. */
function lateDeliveries(r: GameDayResult): string {
  return (r.deliveredAfterFix ?? [])
    .filter((d) => d.events > 0)
    .map((d) =>
      d.via === 'redrive'
        ? `${d.events} event(s) parked in ${d.consumer}'s dead-letter queue, redriven`
        : `${d.events} event(s)${d.orders === undefined ? '' : ` of ${d.orders} order(s)`} replayed from the outbox to ${d.consumer}`,
    )
    .join('; ');
}

/** The load's checks as markdown lines (empty without a load). */
function loadMd(r: GameDayResult): string {
  if (!r.load) return '';
  return `\n## Injected load\n\n${describeLoad(r.load.summary)}.\n\n${r.load.checks
    .map((c) => `- ${c.ok ? 'yes' : '**NO**'} — ${c.name}: ${c.detail}`)
    .join('\n')}\n`;
}

const duration = (minutes: number) => (minutes < 2 ? `${Math.round(minutes * 60)} seconds` : `${minutes.toFixed(0)} minutes`);
const short = (name: string) => name.replace(/^[^-]+-/, '');
const clock = (t: number) => new Date(t).toISOString().slice(11, 19);
const secs = (ms: number | undefined) => (ms === undefined ? 'not fired' : `${(ms / 1000).toFixed(1)} s`);

function timeline(r: GameDayResult): string {
  const rows: [number, string][] = [
    [r.baselineFrom, 'baseline: steady traffic, alarms watched'],
    [r.injectedAt, `**injection**: ${r.scenario.name} by ${r.injectedBy} — ${r.scenario.breaks}`],
    ...r.alarmHistory
      .filter((a) => a.at >= r.baselineFrom && (a.to === 'ALARM' || a.from === 'ALARM'))
      .map((a): [number, string] => [
        a.at,
        `alarm **${short(a.alarmName)}** ${a.from} → ${a.to}${r.falseLeads.includes(short(a.alarmName)) ? ' (false lead)' : ''}`,
      ]),
    ...(r.firstCustomerEffectAt
      ? [[r.firstCustomerEffectAt, `first customer-visible effect: ${r.firstCustomerEffect}`] as [number, string]]
      : []),
    ...r.mitigationSteps.map((m): [number, string] => [m.at, `mitigation: ${m.what}`]),
    ...(r.load?.summary.endedAt ? [[r.load.summary.endedAt, `load ended: ${describeLoad(r.load.summary)}`] as [number, string]] : []),
    ...(r.recoveredAt ? [[r.recoveredAt, 'recovered: alarms OK, every order terminal'] as [number, string]] : []),
  ];
  rows.sort((a, b) => a[0] - b[0]);
  return `# Timeline — ${r.scenario.name}\n\nTimes UTC; T+ from the injection. One metric minute = ${(r.metricMinuteMs / 1000).toFixed(0)} s of real time (${r.speed} speed).\n\n| time | T+ | event |\n|---|---|---|\n${rows
    .map(([t, e]) => `| ${clock(t)} | ${((t - r.injectedAt) / 1000).toFixed(1)} s | ${e.replace(/\|/g, '\\|')} |`)
    .join('\n')}\n`;
}

function impactMd(r: GameDayResult): string {
  const i = r.impact;
  const m = (c: number) => formatMoney(c, i.money.currency);
  return `# Impact — ${r.scenario.name}

Measured from the orders and payments tables at the end of the run (${new Date(r.endedAt).toISOString()}).

- Incident window: ${i.window.from} → ${i.window.to} (${i.window.minutes.toFixed(1)} min)
- Orders placed during the run: ${i.orders.placed}; during the window: ${i.orders.inWindow}
- **Orders affected: ${i.orders.affected}** (placed in the window and not delivered, or delivered only after the fix)
- **Customers affected: ${i.customersAffected}**; order attempts refused: ${i.refusedRequests}
- Final statuses: ${Object.entries(i.orders.byStatus)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ')}; not terminal: ${i.orders.notTerminal}
- Money charged: ${m(i.money.charged)} = delivered ${m(i.money.deliveredValue)} + refunded ${m(i.money.refunded)} → ${i.money.reconciled ? 'reconciled' : '**NOT reconciled**'}
- **Charged for orders not delivered: ${m(i.money.chargedNotDelivered)}**, of which not refunded: ${m(i.money.chargedNotDeliveredNotRefunded)}
- Refunds: ${i.refunds.count}; time to refund median ${i.refunds.medianSecondsToRefund ?? '–'} s, max ${i.refunds.maxSecondsToRefund ?? '–'} s
${
  r.ledger
    ? `- Provider ledger: ${describeLedger(r.ledger)}
`
    : ''
}
Affected orders: ${i.orders.affectedIds.join(', ') || 'none'}
${loadMd(r)}
![orders charged vs received by the restaurant](plots/flow.svg)

![orders placed, delivered and failed](plots/outcomes.svg)
`;
}

/** Orders per metric minute across the run, with the alarm periods shaded and the injection/mitigation marked. */
export function flowPlot(r: GameDayResult, series: { label: string; color: string; milestone: string }[], title: string): string {
  const W = 760;
  const H = 260;
  const pad = { l: 40, r: 10, t: 30, b: 40 };
  const start = r.baselineFrom;
  const end = r.endedAt;
  const buckets = Math.max(1, Math.ceil((end - start) / r.metricMinuteMs));
  const counts = series.map((s) => {
    const c = new Array(buckets).fill(0);
    for (const o of r.orders) {
      const t = o.milestones[s.milestone] ? Date.parse(o.milestones[s.milestone]!) : undefined;
      if (t !== undefined && t >= start && t < end) c[Math.floor((t - start) / r.metricMinuteMs)]++;
    }
    return c;
  });
  const max = Math.max(1, ...counts.flat());
  const x = (t: number) => pad.l + ((t - start) / (end - start)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const bx = (i: number) => x(start + (i + 0.5) * r.metricMinuteMs);
  // Alarm periods of the expected alarms: ALARM → next OK (or the end).
  const shaded: string[] = [];
  const open = new Map<string, number>();
  for (const a of r.alarmHistory.filter((h) => h.at >= start)) {
    if (a.to === 'ALARM') open.set(a.alarmName, a.at);
    else if (a.from === 'ALARM' && open.has(a.alarmName)) {
      shaded.push(
        `<rect x="${x(open.get(a.alarmName)!)}" y="${pad.t}" width="${Math.max(1, x(a.at) - x(open.get(a.alarmName)!))}" height="${H - pad.t - pad.b}" fill="#d33" opacity="0.08"><title>${short(a.alarmName)}</title></rect>`,
      );
      open.delete(a.alarmName);
    }
  }
  for (const [name, t] of open)
    shaded.push(
      `<rect x="${x(t)}" y="${pad.t}" width="${Math.max(1, x(end) - x(t))}" height="${H - pad.t - pad.b}" fill="#d33" opacity="0.08"><title>${short(name)}</title></rect>`,
    );
  const marks = [{ t: r.injectedAt, label: 'injected' }, ...(r.mitigatedAt ? [{ t: r.mitigatedAt, label: 'mitigated' }] : [])].map(
    (m) =>
      `<line x1="${x(m.t)}" x2="${x(m.t)}" y1="${pad.t}" y2="${H - pad.b}" stroke="#333" stroke-dasharray="4 3"/><text x="${x(m.t) + 3}" y="${pad.t + 10}" font-size="11">${m.label}</text>`,
  );
  const lines = counts.map(
    (c, si) =>
      `<polyline fill="none" stroke="${series[si].color}" stroke-width="2" points="${c.map((v, i) => `${bx(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
  );
  const legend = series.map(
    (s, i) =>
      `<rect x="${pad.l + i * 190}" y="${H - 14}" width="12" height="4" fill="${s.color}"/><text x="${pad.l + 16 + i * 190}" y="${H - 9}" font-size="11">${s.label}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<title>${title}</title>
<rect width="${W}" height="${H}" fill="white"/>
<text x="${pad.l}" y="18" font-size="13" font-weight="bold">${title} (per metric minute; shaded: alarms in ALARM)</text>
${shaded.join('\n')}
<line x1="${pad.l}" x2="${W - pad.r}" y1="${H - pad.b}" y2="${H - pad.b}" stroke="#999"/>
<line x1="${pad.l}" x2="${pad.l}" y1="${pad.t}" y2="${H - pad.b}" stroke="#999"/>
<text x="4" y="${pad.t + 8}" font-size="10">${max}</text><text x="4" y="${H - pad.b}" font-size="10">0</text>
<text x="${pad.l}" y="${H - pad.b + 14}" font-size="10">${clock(start)}</text><text x="${W - pad.r - 50}" y="${H - pad.b + 14}" font-size="10">${clock(end)}</text>
${marks.join('\n')}
${lines.join('\n')}
${legend.join('\n')}
</svg>
`;
}

/** The expected alarm that fired first (the scenario's first one when none fired). */
function firstAlarm(r: GameDayResult): string {
  const fired = r.scenario.alarms.expected.filter((a) => r.ttd[a] !== undefined).sort((a, b) => r.ttd[a]! - r.ttd[b]!);
  return fired[0] ?? r.scenario.alarms.expected[0];
}

function detection(r: GameDayResult): string {
  const expected = r.scenario.alarms.expected.map((a) => `- ${a}: ${secs(r.ttd[a])}`).join('\n');
  const notFired = r.scenario.alarms.expected.filter((a) => r.ttd[a] === undefined);
  const noisy = r.baselineAlarms.length
    ? `\n\n**Baseline not quiet**: ${r.baselineAlarms.join(', ')} fired before the injection; the TTDs above are not reliable.`
    : '';
  return `${expected}${noisy}\n\nDid not fire: ${notFired.join(', ') || 'none of the expected alarms is missing'}. Stayed quiet as they should: ${r.scenario.alarms.falseLeads.filter((a) => !r.falseLeads.includes(a)).join(', ')}.\nFalse leads (fired, not expected): ${r.falseLeads.join(', ') || 'none'}.`;
}

function postmortem(r: GameDayResult): string {
  const i = r.impact;
  const m = (c: number) => formatMoney(c, i.money.currency);
  const primary = firstAlarm(r);
  const rec = r.recovery;
  return `# Postmortem (draft) — ${r.scenario.title}

Game day, scenario \`${r.scenario.name}\` (seed ${r.scenario.seed}), ${r.target}, ${r.speed} speed, ${new Date(r.injectedAt).toISOString()}.
Blameless draft built from what happened; edit before sharing.

## Summary
${r.scenario.breaks} Detected first by ${primary}, ${secs(r.ttd[primary])} after the injection. ${i.orders.affected} orders and ${i.customersAffected} customers were affected${r.mitigatedAt ? `; mitigated ${((r.mitigatedAt - r.injectedAt) / 1000).toFixed(0)} s after the injection` : '; not mitigated in this run (the fault was cleared at the end)'}.

## Impact
- Orders affected: ${i.orders.affected} of ${i.orders.inWindow} placed in the window; customers affected: ${i.customersAffected}; attempts refused: ${i.refusedRequests}
- Charged for orders not delivered: ${m(i.money.chargedNotDelivered)} (not refunded: ${m(i.money.chargedNotDeliveredNotRefunded)}); refunds ${i.refunds.count}, median time to refund ${i.refunds.medianSecondsToRefund ?? '–'} s
${
  lateDeliveries(r)
    ? `- Delivered only after the fix: ${lateDeliveries(r)}
`
    : ''
}${
  r.ledger
    ? `- At the provider: ${describeLedger(r.ledger)}
`
    : ''
}- Details: [impact.md](impact.md)${r.load ? `\n- Injected load: ${describeLoad(r.load.summary)}; ${r.load.checks.map((c) => `${c.name} ${c.ok ? 'yes' : 'NO'}`).join(', ')}` : ''}

## Detection
${detection(r)}

## Root cause
${r.scenario.postmortem.rootCause}

## Trigger
${r.scenario.postmortem.trigger}

## Resolution
${r.scenario.mitigation.summary}
${r.mitigationSteps.map((s) => `- ${clock(s.at)} ${s.what}`).join('\n') || '- (no mitigation applied: run with --mitigate)'}
${rec ? `\nRecovery check: alarms back to OK ${rec.alarmsOk ? 'yes' : 'NO'}; every order terminal ${rec.allTerminal ? 'yes' : 'NO'}; charges = delivered + refunds ${rec.moneyReconciled ? 'yes' : 'NO'}; stock conserved ${rec.stockConserved === null ? 'not checked' : rec.stockConserved ? 'yes' : 'NO'}.${rec.notes.length ? `\n${rec.notes.map((n) => `- ${n}`).join('\n')}` : ''}` : ''}

## Action items
${r.scenario.postmortem.actionItems.map((a) => `- [ ] ${a}`).join('\n')}

## Lessons
${r.scenario.postmortem.lessons.map((a) => `- ${a}`).join('\n')}

Runbook: ${r.scenario.runbook}. Timeline: [timeline.md](timeline.md). Plots: [flow](plots/flow.svg), [outcomes](plots/outcomes.svg).
`;
}

/**
 * Orders the fault only delayed: their charge timed out or lost its answer and the provider answered the retry from
 * its idempotency record (the ledger's replays). Not "affected" in the impact (they were delivered), but their
 * customers waited, and the stakeholders should hear that they were charged once.
 */
function retriedPayments(r: GameDayResult, audience: 'customers' | 'executives'): string {
  const l = r.ledger;
  if (!l?.ordersReplayed) return '';
  const ids = new Set(l.replayedIds);
  const customers = new Set(r.orders.filter((o) => ids.has(o.orderId)).map((o) => o.customerId)).size;
  const once = l.matches ? 'charged exactly once' : 'NOT charged exactly once: see the engineering update';
  return audience === 'customers'
    ? ` Delayed, not lost: ${l.ordersReplayed} orders (${customers} customers) waited a little longer for their payment to be confirmed: the card provider was asked again with the same payment reference, and each was ${once}.`
    : ` ${l.ordersReplayed} payments had to be retried with the card provider; each customer was ${once} (checked against the provider's records).`;
}

function updates(r: GameDayResult): Record<string, string> {
  const i = r.impact;
  const m = (c: number) => formatMoney(c, i.money.currency);
  const fixed = r.mitigatedAt ? `Fixed at ${clock(r.mitigatedAt)} UTC.` : 'Not fixed yet: next update within 30 minutes.';
  return {
    'engineering.md': `# Engineering update — ${r.scenario.name}\n\n**What broke**: ${r.scenario.breaks}\n\n**Detection**: ${r.scenario.alarms.expected.map((a) => `${a} (TTD ${secs(r.ttd[a])})`).join(', ')}; false leads: ${r.falseLeads.join(', ') || 'none'}.\n\n**Impact**: ${i.orders.affected} orders, ${i.customersAffected} customers, ${i.refusedRequests} refused requests; ${m(i.money.chargedNotDelivered)} charged for orders not delivered (${m(i.money.chargedNotDeliveredNotRefunded)} not refunded). Money ${i.money.reconciled ? 'reconciled' : 'NOT reconciled'}.\n\n**Mitigation**: ${r.scenario.mitigation.commands.map((c) => `\`${c}\``).join(', ')}. ${fixed}\n\nRunbook: ${r.scenario.runbook}\n`,
    'account-management.md': `# Customer update — ${r.scenario.title}\n\n**Who is affected**: ${i.customersAffected} customers; ${i.orders.affected} orders (${r.scenario.customerEffect.what}).${lateDeliveries(r) ? ` Delayed and delivered after the fix: ${lateDeliveries(r)}.` : ''}${retriedPayments(r, 'customers')}\n\n**What to tell customers**: ${r.scenario.customerMessage}${
      i.money.chargedNotDeliveredNotRefunded
        ? ` ${m(i.money.chargedNotDeliveredNotRefunded)} is still to be refunded; refunds are on their way.`
        : i.money.chargedNotDelivered
          ? ` Everyone charged for an order they did not get has been refunded in full (${i.refunds.count} refunds, ${m(i.money.refunded)}); the refund shows on their statement within a few days.`
          : ' Nobody was charged for an order they did not get.'
    }\n\n**When it is fixed**: ${fixed}\n`,
    'executives.md': `# Executive summary — ${r.scenario.title}\n\nFor ${duration(i.window.minutes)} ${r.scenario.customerEffect.what}: ${i.orders.affected} orders and ${i.customersAffected} customers were affected, ${m(i.money.chargedNotDelivered)} was charged for orders not delivered and ${m(i.money.refunded)} refunded${i.money.reconciled ? '; all money is accounted for' : '; money is NOT yet reconciled'}.${retriedPayments(r, 'executives')} Our monitoring caught it in ${secs(r.ttd[firstAlarm(r)])} (${firstAlarm(r)}).${lateDeliveries(r) ? ` Delivered after the fix: ${lateDeliveries(r)}.` : ''} ${fixed}\n`,
  };
}

/** Writes the folder; returns its path. */
export function writeReport(root: string, r: GameDayResult): string {
  const stamp = new Date(r.startedAt).toISOString().replace(/[:.]/g, '-');
  const dir = path.join(root, '.game-days', `${stamp}-${r.scenario.name}`);
  mkdirSync(path.join(dir, 'plots'), { recursive: true });
  mkdirSync(path.join(dir, 'updates'), { recursive: true });
  writeFileSync(path.join(dir, 'timeline.md'), timeline(r));
  writeFileSync(path.join(dir, 'impact.md'), impactMd(r));
  writeFileSync(
    path.join(dir, 'impact.json'),
    `${JSON.stringify({ scenario: r.scenario.name, target: r.target, speed: r.speed, ttdMs: r.ttd, falseLeads: r.falseLeads, recovery: r.recovery, ...r.impact, providerLedger: r.ledger }, null, 2)}\n`,
  );
  writeFileSync(
    path.join(dir, 'plots', 'flow.svg'),
    flowPlot(
      r,
      [
        { label: 'charged', color: '#1f77b4', milestone: 'CHARGED' },
        { label: 'received by the restaurant', color: '#2ca02c', milestone: 'RECEIVED_BY_RESTAURANT' },
      ],
      'Charged vs received by the restaurant',
    ),
  );
  writeFileSync(
    path.join(dir, 'plots', 'outcomes.svg'),
    flowPlot(
      r,
      [
        { label: 'placed', color: '#7f7f7f', milestone: 'PLACED' },
        { label: 'delivered', color: '#2ca02c', milestone: 'DELIVERED' },
        { label: 'cancelled', color: '#d62728', milestone: 'CANCELLED' },
      ],
      'Orders placed, delivered, cancelled',
    ),
  );
  writeFileSync(path.join(dir, 'postmortem.md'), postmortem(r));
  for (const [file, text] of Object.entries(updates(r))) writeFileSync(path.join(dir, 'updates', file), text);
  return dir;
}
