/**
 * CloudWatch metrics, offline: the EMF documents the functions print (Powertools Metrics) plus what Lambda, SQS and
 * API Gateway would report, kept per datum and aggregated on demand with CloudWatch's statistics. Time can be
 * accelerated: `msPerMetricSecond` real milliseconds make one second of metric time, so a 60 s period of an alarm
 * lasts one real second at 1000/60.
 */

export interface MetricDatum {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  value: number;
  unit?: string;
  /** epoch ms, real time */
  timestamp: number;
}

export interface MetricQuery {
  namespace: string;
  name: string;
  dimensions?: Record<string, string>;
}

export interface SeriesPoint {
  start: number;
  end: number;
  value: number | undefined;
}

/** CloudWatch matches dimensions exactly: the same set of names with the same values, no more, no fewer. */
export function metricKey(q: MetricQuery): string {
  const dims = Object.entries(q.dimensions ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([q.namespace, q.name, dims]);
}

/** Sum | Average | Maximum | Minimum | SampleCount | pNN(.N) over values; undefined when there are none. */
export function statistic(values: number[], stat: string): number | undefined {
  if (values.length === 0) return undefined;
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'SampleCount':
      return values.length;
  }
  const p = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  if (!p) throw new Error(`statistic '${stat}' is not supported offline (Sum, Average, Maximum, Minimum, SampleCount, pNN)`);
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p % of the values at or below it.
  const rank = Math.max(1, Math.ceil((Number(p[1]) / 100) * sorted.length));
  return sorted[rank - 1];
}

export class MetricStore {
  private readonly series_ = new Map<string, { query: MetricQuery; points: { t: number; v: number }[] }>();
  readonly msPerMetricSecond: number;
  private readonly now: () => number;
  private readonly retentionMs: number;

  constructor(opts: { msPerMetricSecond?: number; now?: () => number; retentionPeriods?: number } = {}) {
    this.msPerMetricSecond = opts.msPerMetricSecond ?? 1000;
    this.now = opts.now ?? Date.now;
    // Default: a day of metric time (the longest alarm period here is 6 h).
    this.retentionMs = (opts.retentionPeriods ?? 24 * 60) * 60 * this.msPerMetricSecond;
  }

  put(d: MetricDatum): void {
    if (!Number.isFinite(d.value)) return;
    const key = metricKey(d);
    let s = this.series_.get(key);
    if (!s) this.series_.set(key, (s = { query: { namespace: d.namespace, name: d.name, dimensions: { ...d.dimensions } }, points: [] }));
    s.points.push({ t: d.timestamp, v: d.value });
    // Bounded memory: drop what is older than the retention, a batch at a time.
    if (s.points.length % 1000 === 0) {
      const cutoff = this.now() - this.retentionMs;
      s.points = s.points.filter((p) => p.t >= cutoff);
    }
  }

  /**
   * One line of a function's output: an EMF document (`_aws.CloudWatchMetrics`) becomes one datum per metric per
   * dimension set, with array values as several datums. Anything else is ignored. Returns the datums added.
   */
  ingestLogLine(line: string): number {
    let doc: any;
    try {
      doc = JSON.parse(line);
    } catch {
      return 0;
    }
    const meta = doc?._aws;
    if (!meta || !Array.isArray(meta.CloudWatchMetrics)) return 0;
    const timestamp = Number(meta.Timestamp) || this.now();
    let added = 0;
    for (const directive of meta.CloudWatchMetrics) {
      const dimensionSets: string[][] = Array.isArray(directive.Dimensions) && directive.Dimensions.length ? directive.Dimensions : [[]];
      for (const metric of directive.Metrics ?? []) {
        const raw = doc[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).map(Number).filter(Number.isFinite);
        for (const set of dimensionSets) {
          const dimensions = Object.fromEntries(set.map((name) => [name, String(doc[name])]));
          for (const value of values) {
            this.put({ namespace: directive.Namespace, name: metric.Name, dimensions, value, unit: metric.Unit, timestamp });
            added++;
          }
        }
      }
    }
    return added;
  }

  statistic(q: MetricQuery, stat: string, fromMs: number, toMs: number): number | undefined {
    const s = this.series_.get(metricKey(q));
    return statistic(s ? s.points.filter((p) => p.t >= fromMs && p.t < toMs).map((p) => p.v) : [], stat);
  }

  /** `count` periods of `periodSeconds` metric seconds, oldest first, the last one ending now (possibly partial). */
  series(q: MetricQuery, stat: string, periodSeconds: number, count: number): SeriesPoint[] {
    const periodMs = periodSeconds * this.msPerMetricSecond;
    const end = this.now();
    const points: SeriesPoint[] = [];
    for (let i = count - 1; i >= 0; i--) {
      const to = end - i * periodMs;
      points.push({ start: to - periodMs, end: to, value: this.statistic(q, stat, to - periodMs, to) });
    }
    return points;
  }

  list(): MetricQuery[] {
    return [...this.series_.values()].map((s) => s.query);
  }
}
