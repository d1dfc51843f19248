/**
 * Whether an alarm can ever receive data on a target: from what the target implements (the facts files here, read
 * from each target's source) and from what the template itself publishes (the gauges functions declare with
 * SHOPWAVE_GAUGES, the metric filters). One function for synthesis (an alarm that cannot fire on LocalStack is not
 * deployed there: lib/constructs/operational-alarms.ts) and for the per-target table (scripts/alarms-per-target.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Target } from '../config';

export interface TargetFacts {
  target: Target;
  name: string;
  alarms: { metricMath: boolean; extendedStatistic: boolean; why?: string };
  /** Per AWS namespace, the metrics the target publishes; '*': all of AWS's. */
  metrics: Record<string, string[]> | '*';
  metricsWhy?: Record<string, string>;
  /** How a metric of our own namespace can get there. */
  customMetrics: { emf: boolean; putMetricData: boolean; metricFilters: boolean; why?: string };
  ignoredProperties?: Record<string, string[]>;
  resourceProviders?: { from: string; types: Record<string, { properties: string[]; schema: string }> };
}

const read = (file: string): TargetFacts => JSON.parse(readFileSync(path.join(import.meta.dirname, file), 'utf8'));

export const LOCALSTACK_FACTS: TargetFacts = read('localstack-4.14.json');
export const OFFLINE_FACTS: TargetFacts = read('offline.json');
export const AWS_FACTS: TargetFacts = {
  target: 'aws',
  name: 'AWS',
  alarms: { metricMath: true, extendedStatistic: true },
  metrics: '*',
  customMetrics: { emf: true, putMetricData: true, metricFilters: true },
};
export const FACTS: Record<Target, TargetFacts> = { aws: AWS_FACTS, localstack: LOCALSTACK_FACTS, offline: OFFLINE_FACTS };

/** One metric an alarm reads. */
export interface MetricRef {
  namespace: string;
  metricName: string;
  /** Dimension names and values; a value that is a token or an intrinsic is kept as its string form. */
  dimensions: Record<string, string>;
}

/** What an alarm reads: one metric with a statistic, or several under metric math. */
export interface AlarmSignal {
  metrics: MetricRef[];
  math: boolean;
  extendedStatistic: boolean;
}

/** What the template publishes itself, besides EMF: PutMetricData gauges per service, metric filters. */
export interface TemplateSources {
  gauges: { service: string; metricName: string; functionId: string }[];
  metricFilters: { namespace: string; metricName: string; id: string }[];
}

export interface Reach {
  receives: boolean;
  why: string;
}

function metricReach(facts: TargetFacts, m: MetricRef, sources: TemplateSources): Reach {
  if (m.namespace.startsWith('AWS/')) {
    if (facts.metrics === '*') return { receives: true, why: `${m.namespace} ${m.metricName}` };
    if (facts.metrics[m.namespace]?.includes(m.metricName)) return { receives: true, why: `${m.namespace} ${m.metricName}` };
    return {
      receives: false,
      why: `${m.namespace} ${m.metricName} is not published${facts.metricsWhy?.[m.namespace] ? ` (${facts.metricsWhy[m.namespace]})` : ''}`,
    };
  }
  const gauge = sources.gauges.find((g) => g.metricName === m.metricName && m.dimensions.service === g.service);
  if (gauge && facts.customMetrics.putMetricData) return { receives: true, why: `PutMetricData (${gauge.functionId})` };
  const filter = sources.metricFilters.find(
    (f) => f.namespace === m.namespace && f.metricName === m.metricName && Object.keys(m.dimensions).length === 0,
  );
  if (filter && facts.customMetrics.metricFilters) return { receives: true, why: `metric filter (${filter.id})` };
  if (facts.customMetrics.emf) return { receives: true, why: 'EMF' };
  return { receives: false, why: `${m.metricName}: EMF is not parsed${filter ? ' and metric filters are not deployed' : ''}` };
}

export function alarmReach(facts: TargetFacts, signal: AlarmSignal, sources: TemplateSources): Reach {
  if (signal.math && !facts.alarms.metricMath) return { receives: false, why: 'metric math is never evaluated' };
  if (signal.extendedStatistic && !facts.alarms.extendedStatistic)
    return { receives: false, why: 'percentile statistics are never evaluated' };
  const each = signal.metrics.map((m) => metricReach(facts, m, sources));
  const missing = each.filter((r) => !r.receives);
  if (missing.length) return { receives: false, why: missing.map((r) => r.why).join('; ') };
  return { receives: true, why: [...new Set(each.map((r) => r.why))].join(', ') };
}

const PERCENTILE = /^(p|tm|tc|ts|wm|pr)\d/i;

/** The signal of an `AWS::CloudWatch::Alarm`'s properties, as synthesized. */
export function signalOfTemplateAlarm(p: Record<string, any>): AlarmSignal {
  const dims = (list: any[] | undefined) =>
    Object.fromEntries((list ?? []).map((d) => [d.Name, typeof d.Value === 'string' ? d.Value : JSON.stringify(d.Value)]));
  if (Array.isArray(p.Metrics)) {
    const stats = p.Metrics.filter((q: any) => q.MetricStat);
    return {
      math: p.Metrics.some((q: any) => q.Expression),
      extendedStatistic: stats.some((q: any) => PERCENTILE.test(q.MetricStat.Stat)),
      metrics: stats.map((q: any) => ({
        namespace: q.MetricStat.Metric.Namespace,
        metricName: q.MetricStat.Metric.MetricName,
        dimensions: dims(q.MetricStat.Metric.Dimensions),
      })),
    };
  }
  return {
    math: false,
    extendedStatistic: p.ExtendedStatistic !== undefined,
    metrics: [{ namespace: p.Namespace, metricName: p.MetricName, dimensions: dims(p.Dimensions) }],
  };
}

/** What a synthesized template publishes besides EMF. */
export function templateSources(resources: Record<string, { Type: string; Properties?: any }>): TemplateSources {
  const gauges: TemplateSources['gauges'] = [];
  const metricFilters: TemplateSources['metricFilters'] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::Lambda::Function') {
      const env = r.Properties?.Environment?.Variables ?? {};
      for (const metricName of String(env.SHOPWAVE_GAUGES ?? '')
        .split(',')
        .filter(Boolean))
        gauges.push({ service: env.POWERTOOLS_SERVICE_NAME, metricName, functionId: id });
    }
    if (r.Type === 'AWS::Logs::MetricFilter')
      for (const t of r.Properties?.MetricTransformations ?? [])
        metricFilters.push({ namespace: t.MetricNamespace, metricName: t.MetricName, id });
  }
  return { gauges, metricFilters };
}
