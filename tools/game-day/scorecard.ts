/**
 * The game-day scorecard (`npm run game-day -- scorecard`, docs/game-days/scorecard.md): one row per scenario and
 * speed, built from the runner's result: which alarm detected it, its time to detect, the false leads, whether
 * nothing was lost, the runbook. The measurements are kept in docs/game-days/scorecard.json so a run of some
 * scenarios (`--only`) updates their rows and keeps the others; the markdown is always rendered from all of them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { GameDayResult } from './report';
import type { Scenario } from './scenario';

/** The issue's target: detected by a named alarm within 3 minutes of real time at demo speed. */
export const TTD_TARGET_MS = 3 * 60_000;

export interface ScorecardRow {
  scenario: string;
  speed: 'demo' | 'test';
  measuredAt: string;
  /** The expected alarm that fired first; undefined = none fired within the scenario's wait. */
  detectedBy?: string;
  /** Real time from the injection to that alarm. */
  ttdMs?: number;
  /** The same in metric minutes (at demo speed a metric minute is a real minute). */
  ttdMetricMinutes?: number;
  /** Every expected alarm: real ms to ALARM, or null when it did not fire. */
  expected: Record<string, number | null>;
  falseLeads: string[];
  baselineQuiet: boolean;
  /** Every order terminal, charges = delivered value + refunds, stock conserved (after the mitigation). */
  nothingLost?: boolean;
  notes: string[];
}

export type ScorecardData = Record<string, Partial<Record<'demo' | 'test', ScorecardRow>>>;

export function scorecardRow(r: GameDayResult): ScorecardRow {
  const fired = Object.entries(r.ttd)
    .filter((e): e is [string, number] => e[1] !== undefined)
    .sort((a, b) => a[1] - b[1]);
  const first = fired[0];
  const rec = r.recovery;
  return {
    scenario: r.scenario.name,
    speed: r.speed,
    measuredAt: new Date(r.injectedAt).toISOString(),
    detectedBy: first?.[0],
    ttdMs: first?.[1],
    ttdMetricMinutes: first ? Math.round((first[1] / r.metricMinuteMs) * 100) / 100 : undefined,
    expected: Object.fromEntries(r.scenario.alarms.expected.map((a) => [a, r.ttd[a] ?? null])),
    falseLeads: r.falseLeads,
    baselineQuiet: r.baselineAlarms.length === 0,
    nothingLost: rec ? rec.allTerminal && rec.moneyReconciled && rec.stockConserved === true : undefined,
    notes: rec?.notes ?? [],
  };
}

/** A row passes when every expected alarm fired, nothing else did, the baseline was quiet and nothing was lost. */
export function rowPasses(row: ScorecardRow): boolean {
  return (
    Object.values(row.expected).every((v) => v !== null) && row.falseLeads.length === 0 && row.baselineQuiet && row.nothingLost === true
  );
}

export function readScorecard(file: string): ScorecardData {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ScorecardData) : {};
}

export function mergeRows(data: ScorecardData, rows: ScorecardRow[]): ScorecardData {
  const out = structuredClone(data);
  for (const row of rows) out[row.scenario] = { ...out[row.scenario], [row.speed]: row };
  return out;
}

const s = (ms: number | undefined) =>
  ms === undefined ? '–' : ms < 120_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 60_000).toFixed(1)} min`;
const yes = (b: boolean | undefined) => (b === undefined ? '–' : b ? 'yes' : '**no**');

export function renderScorecard(data: ScorecardData, scenarios: readonly Scenario[]): string {
  const rows = scenarios.map((sc) => {
    const demo = data[sc.name]?.demo;
    const test = data[sc.name]?.test;
    const main = demo ?? test;
    const within = demo?.ttdMs !== undefined ? demo.ttdMs <= TTD_TARGET_MS : undefined;
    return `| \`${sc.name}\` | ${sc.seed} | ${main?.detectedBy ?? (main ? '**not detected**' : 'not measured')} | ${s(demo?.ttdMs)} | ${
      test?.ttdMetricMinutes !== undefined ? `${test.ttdMetricMinutes.toFixed(1)} (${s(test.ttdMs)})` : '–'
    } | ${yes(within)} | ${main ? main.falseLeads.join(', ') || 'none' : '–'} | ${yes(main?.nothingLost)} | [${sc.runbook.replace(/^docs\/runbooks\//, '')}](../${sc.runbook.replace(/^docs\//, '')}) |`;
  });
  const slow = scenarios.filter((sc) => {
    const demo = data[sc.name]?.demo;
    return !demo || demo.ttdMs === undefined || demo.ttdMs > TTD_TARGET_MS;
  });
  const why = slow.map((sc) => {
    const demo = data[sc.name]?.demo;
    const state = !demo
      ? 'not measured at demo speed yet'
      : demo.ttdMs === undefined
        ? 'not detected at demo speed'
        : `detected after ${s(demo.ttdMs)}`;
    return `- \`${sc.name}\`: ${state}. ${sc.alarms.why ?? 'The expected alarms evaluate over longer windows than 3 minutes.'}${
      sc.alarms.faster ? ` What would detect it sooner: ${sc.alarms.faster}` : ''
    }`;
  });
  const notes = scenarios.flatMap((sc) =>
    (['demo', 'test'] as const).flatMap((sp) => {
      const row = data[sc.name]?.[sp];
      return row?.notes.length ? [`- \`${sc.name}\` (${sp}, ${row.measuredAt}): ${row.notes.join('; ')}`] : [];
    }),
  );
  const when = (sp: 'demo' | 'test') =>
    scenarios
      .map((sc) => data[sc.name]?.[sp]?.measuredAt)
      .filter((x): x is string => !!x)
      .sort();
  const range = (sp: 'demo' | 'test') => {
    const w = when(sp);
    return w.length ? `${w.length} scenarios, ${w[0].slice(0, 16)}Z – ${w.at(-1)!.slice(0, 16)}Z` : 'none yet';
  };
  return `# Game-day scorecard

Generated by \`npm run game-day -- scorecard\` (measurements in [scorecard.json](scorecard.json); do not edit by hand).
Each scenario ran offline through the kit's runner with \`--mitigate\`: steady traffic, a baseline, the injection, the
wait for the expected alarms, the documented mitigation, and the recovery check from the tables.

- **TTD (demo)**: real time from the injection to the first expected alarm at demo speed (real time, the template
  \`npm start\` runs); the target is ${TTD_TARGET_MS / 60_000} minutes. Measured: ${range('demo')}.
- **TTD (test)**: at test speed (one metric minute = 8 s), in metric minutes (the demo-speed equivalent) and real
  seconds. Measured: ${range('test')}.
- **False leads**: alarms that fired and are neither expected nor a listed consequence of the scenario.
- **Nothing lost**: after the mitigation every order is terminal, charges = delivered value + refunds, stock conserved.

| scenario | seed | detected by | TTD (demo) | TTD (test, metric min) | ≤ ${TTD_TARGET_MS / 60_000} min? | false leads | nothing lost? | runbook |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

## Slower than ${TTD_TARGET_MS / 60_000} minutes, or not measured

${why.join('\n') || 'None: every scenario was detected within the target at demo speed.'}

## Notes from the runs

${notes.join('\n') || 'None.'}

Re-measure: \`npm run game-day -- scorecard --speed demo --parallel 4\` (real time, about 15 minutes a scenario) or
\`npm run game-day -- scorecard\` (test speed, one at a time); \`--only a,b\` updates those rows.
`;
}

export function writeScorecard(jsonFile: string, mdFile: string, data: ScorecardData, scenarios: readonly Scenario[]): void {
  writeFileSync(jsonFile, `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(mdFile, renderScorecard(data, scenarios));
}
