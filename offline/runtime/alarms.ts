/**
 * CloudWatch alarms, offline: the template's `AWS::CloudWatch::Alarm`s evaluated on the MetricStore the way
 * CloudWatch does — the statistic per period over the last EvaluationPeriods periods, "M out of N" breaching
 * datapoints, missing data per TreatMissingData — including the metric-math alarms (a subset of the expression
 * language: arithmetic, comparisons, IF, FILL, MIN, MAX). An alarm the evaluator cannot understand fails at start,
 * naming the alarm, so nothing is ever silently OK.
 */
import type { MetricStore } from './metrics';

export interface AlarmMetricStat {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  periodSeconds: number;
  stat: string;
}

export interface AlarmModel {
  logicalId: string;
  alarmName: string;
  description?: string;
  /** A single-metric alarm. */
  metric?: AlarmMetricStat;
  /** A metric-math alarm: the entry with returnData (or the only expression) is the alarm's series. */
  metrics?: {
    id: string;
    expression?: string;
    metricStat?: AlarmMetricStat;
    periodSeconds?: number;
    returnData: boolean;
    label?: string;
  }[];
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
  treatMissingData: 'missing' | 'notBreaching' | 'breaching' | 'ignore';
  alarmActions: string[];
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export interface AlarmState {
  alarmName: string;
  logicalId: string;
  state: AlarmStateValue;
  reason: string;
  since: number;
  description?: string;
  /** The datapoints of the last evaluation, oldest first (undefined = missing). */
  lastValues: (number | undefined)[];
}
export interface AlarmTransition {
  alarmName: string;
  from: AlarmStateValue;
  to: AlarmStateValue;
  at: number;
  reason: string;
}

// ---- Metric math ------------------------------------------------------------------------------------------------

type Node =
  | { kind: 'num'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'neg'; arg: Node }
  | { kind: 'bin'; op: string; left: Node; right: Node }
  | { kind: 'call'; fn: string; args: Node[] };

const FUNCTIONS: Record<string, number> = { IF: 3, FILL: 2, MIN: 2, MAX: 2, ABS: 1 };

/** Parses a metric-math expression into a tree; throws on anything outside the supported subset. */
export function parseExpression(source: string): Node {
  const tokens = source.match(/\s*(\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|<=|>=|==|!=|[-+*/(),<>])/gy);
  if (!tokens || tokens.join('').replace(/\s/g, '') !== source.replace(/\s/g, '')) throw new Error(`cannot tokenize '${source}'`);
  const list = tokens.map((t) => t.trim());
  let i = 0;
  const peek = () => list[i];
  const take = (expected?: string) => {
    const t = list[i++];
    if (expected !== undefined && t !== expected)
      throw new Error(`expected '${expected}' at token ${i} of '${source}', got '${t ?? 'end'}'`);
    return t;
  };
  const LEVELS = [
    ['<', '<=', '>', '>=', '==', '!='],
    ['+', '-'],
    ['*', '/'],
  ];
  const binary = (level: number): Node => {
    if (level === LEVELS.length) return unary();
    let left = binary(level + 1);
    while (LEVELS[level].includes(peek())) {
      const op = take();
      left = { kind: 'bin', op, left, right: binary(level + 1) };
    }
    return left;
  };
  const unary = (): Node => {
    if (peek() === '-') {
      take();
      return { kind: 'neg', arg: unary() };
    }
    return primary();
  };
  const primary = (): Node => {
    const t = take();
    if (t === undefined) throw new Error(`unexpected end of '${source}'`);
    if (t === '(') {
      const inner = binary(0);
      take(')');
      return inner;
    }
    if (/^\d/.test(t)) return { kind: 'num', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() !== '(') return { kind: 'id', name: t };
      const fn = t.toUpperCase();
      if (!(fn in FUNCTIONS)) throw new Error(`function ${t} is not supported offline (${Object.keys(FUNCTIONS).join(', ')})`);
      take('(');
      const args: Node[] = [binary(0)];
      while (peek() === ',') {
        take();
        args.push(binary(0));
      }
      take(')');
      if (args.length !== FUNCTIONS[fn]) throw new Error(`${fn} takes ${FUNCTIONS[fn]} arguments in '${source}'`);
      return { kind: 'call', fn, args };
    }
    throw new Error(`unexpected '${t}' in '${source}'`);
  };
  const tree = binary(0);
  if (i !== list.length) throw new Error(`unexpected '${list[i]}' in '${source}'`);
  return tree;
}

/** The ids an expression reads. */
export function expressionInputs(node: Node): string[] {
  switch (node.kind) {
    case 'id':
      return [node.name];
    case 'neg':
      return expressionInputs(node.arg);
    case 'bin':
      return [...expressionInputs(node.left), ...expressionInputs(node.right)];
    case 'call':
      return node.args.flatMap(expressionInputs);
    default:
      return [];
  }
}

/** One period's value; undefined is a missing datapoint (an input without data that no FILL covers, or x / 0). */
export function evaluateNode(node: Node, value: (id: string) => number | undefined): number | undefined {
  switch (node.kind) {
    case 'num':
      return node.value;
    case 'id':
      return value(node.name);
    case 'neg': {
      const v = evaluateNode(node.arg, value);
      return v === undefined ? undefined : -v;
    }
    case 'call': {
      if (node.fn === 'FILL') return evaluateNode(node.args[0], value) ?? evaluateNode(node.args[1], value);
      const args = node.args.map((a) => evaluateNode(a, value));
      if (args.some((a) => a === undefined)) return undefined;
      const [a, b, c] = args as number[];
      return { IF: a !== 0 ? b : c, MIN: Math.min(a, b), MAX: Math.max(a, b), ABS: Math.abs(a) }[node.fn as 'IF'];
    }
    case 'bin': {
      const l = evaluateNode(node.left, value);
      const r = evaluateNode(node.right, value);
      if (l === undefined || r === undefined) return undefined;
      switch (node.op) {
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return r === 0 ? undefined : l / r;
        case '<':
          return Number(l < r);
        case '<=':
          return Number(l <= r);
        case '>':
          return Number(l > r);
        case '>=':
          return Number(l >= r);
        case '==':
          return Number(l === r);
        default:
          return Number(l !== r);
      }
    }
  }
}

/** Parses and evaluates in one go (a dashboard's math expressions, one period at a time). */
export function evaluateExpression(source: string, value: (id: string) => number | undefined): number | undefined {
  return evaluateNode(parseExpression(source), value);
}

// ---- Evaluation --------------------------------------------------------------------------------------------------

const BREACHES: Record<AlarmModel['comparisonOperator'], (v: number, t: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

interface Compiled {
  model: AlarmModel;
  /** The last `evaluationPeriods` datapoints, oldest first. */
  datapoints(): (number | undefined)[];
}

function compile(alarm: AlarmModel, store: MetricStore): Compiled {
  const where = `alarm ${alarm.alarmName} (${alarm.logicalId})`;
  const n = alarm.evaluationPeriods;
  const query = (m: AlarmMetricStat) => () =>
    store.series({ namespace: m.namespace, name: m.metricName, dimensions: m.dimensions }, m.stat, m.periodSeconds, n).map((p) => p.value);
  if (alarm.metric) {
    store.series(
      { namespace: alarm.metric.namespace, name: alarm.metric.metricName, dimensions: alarm.metric.dimensions },
      alarm.metric.stat,
      60,
      1,
    ); // validates the statistic
    return { model: alarm, datapoints: query(alarm.metric) };
  }
  const entries = alarm.metrics ?? [];
  const output =
    entries.find((e) => e.returnData) ?? (entries.filter((e) => e.expression).length === 1 ? entries.find((e) => e.expression) : undefined);
  if (!output) throw new Error(`${where}: no metric or expression returns data`);
  const stats = new Map(entries.filter((e) => e.metricStat).map((e) => [e.id, query(e.metricStat!)]));
  const trees = new Map<string, Node>();
  for (const e of entries.filter((x) => x.expression)) {
    try {
      const tree = parseExpression(e.expression!);
      const unknown = expressionInputs(tree).filter((id) => !entries.some((x) => x.id === id));
      if (unknown.length) throw new Error(`unknown ids ${unknown.join(', ')}`);
      trees.set(e.id, tree);
    } catch (err) {
      throw new Error(`${where}: expression '${e.expression}' cannot be evaluated offline: ${(err as Error).message}`);
    }
  }
  return {
    model: alarm,
    datapoints: () => {
      const inputs = new Map([...stats].map(([id, q]) => [id, q()]));
      const valueAt =
        (i: number) =>
        (id: string): number | undefined => {
          const tree = trees.get(id);
          return tree ? evaluateNode(tree, valueAt(i)) : inputs.get(id)?.[i];
        };
      return Array.from({ length: n }, (_, i) => valueAt(i)(output.id));
    },
  };
}

export class AlarmEvaluator {
  private readonly compiled: Compiled[];
  private readonly current = new Map<string, AlarmState>();
  private readonly transitions: AlarmTransition[] = [];
  private readonly msPerMetricSecond: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(alarms: AlarmModel[], store: MetricStore, opts: { msPerMetricSecond?: number; now?: () => number } = {}) {
    this.msPerMetricSecond = opts.msPerMetricSecond ?? 1000;
    this.now = opts.now ?? Date.now;
    this.compiled = alarms.map((a) => compile(a, store));
    const at = this.now();
    for (const a of alarms) {
      this.current.set(a.alarmName, {
        alarmName: a.alarmName,
        logicalId: a.logicalId,
        state: 'INSUFFICIENT_DATA',
        reason: 'not evaluated yet',
        since: at,
        description: a.description,
        lastValues: [],
      });
    }
  }

  evaluate(): AlarmTransition[] {
    const at = this.now();
    const changes: AlarmTransition[] = [];
    for (const { model, datapoints } of this.compiled) {
      const values = datapoints();
      const previous = this.current.get(model.alarmName)!;
      const breaching = (v: number | undefined) =>
        v === undefined ? model.treatMissingData === 'breaching' : BREACHES[model.comparisonOperator](v, model.threshold);
      const present = values.filter((v) => v !== undefined);
      let next: AlarmStateValue;
      let reason: string;
      if (present.length === 0 && (model.treatMissingData === 'missing' || model.treatMissingData === 'ignore')) {
        next = model.treatMissingData === 'ignore' ? previous.state : 'INSUFFICIENT_DATA';
        reason = `no datapoints in the last ${values.length} period(s)`;
      } else {
        const bad = values.filter(breaching).length;
        next = bad >= model.datapointsToAlarm ? 'ALARM' : 'OK';
        const shown = values.map((v) => (v === undefined ? '–' : +v.toPrecision(4))).join(', ');
        reason = `${bad} of the last ${values.length} datapoint(s) [${shown}] breach ${model.comparisonOperator} ${model.threshold} (needs ${model.datapointsToAlarm})`;
      }
      this.current.set(model.alarmName, {
        ...previous,
        state: next,
        reason,
        lastValues: values,
        since: next === previous.state ? previous.since : at,
      });
      if (next !== previous.state) changes.push({ alarmName: model.alarmName, from: previous.state, to: next, at, reason });
    }
    this.transitions.push(...changes);
    return changes;
  }

  states(): AlarmState[] {
    return [...this.current.values()];
  }

  history(): AlarmTransition[] {
    return [...this.transitions];
  }

  start(onTransition?: (t: AlarmTransition) => void, everyMetricSeconds = 60): void {
    this.stop();
    this.timer = setInterval(
      () => {
        for (const t of this.evaluate()) onTransition?.(t);
      },
      Math.max(20, everyMetricSeconds * this.msPerMetricSecond),
    );
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
