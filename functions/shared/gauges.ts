/**
 * The gauges the scheduled checks publish every minute (the delivery SLI, the payment reconciliation, tracking
 * freshness): the metrics the SLI and the business alarms read. They go to CloudWatch with PutMetricData, not as EMF
 * lines, on every target: LocalStack community 4.14 parses no EMF, and its metric filters cannot stand in (no
 * CloudFormation provider for AWS::Logs::MetricFilter, a pattern matcher that matches every line, no dimensions;
 * docs/alarms-per-target.md). PutMetricData is stored there and feeds its alarms; offline, the runtime's CloudWatch
 * endpoint takes the same call (offline/runtime/cloudwatch-emulator.ts).
 *
 * Same namespace (POWERTOOLS_METRICS_NAMESPACE) and the same one dimension, `service` (POWERTOOLS_SERVICE_NAME), as
 * Powertools would give them, so alarms and dashboard name them as before. A function may only publish the names its
 * template declares in SHOPWAVE_GAUGES (ServiceFunction.publishGauges): the docs' per-target table is derived from
 * that declaration, so it must stay true.
 */
import { CloudWatchClient, PutMetricDataCommand, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import { requireEnv } from './env';
import { traced } from './powertools';

export type GaugeUnit = Extract<StandardUnit, 'Count' | 'Seconds' | 'Milliseconds' | 'None'>;
export type Gauges = Record<string, { value: number; unit: GaugeUnit }>;

let client: CloudWatchClient | undefined;
const cloudWatch = () => (client ??= traced(new CloudWatchClient({ maxAttempts: 3 })));

/** The names this function's template declares it publishes. */
export function declaredGauges(): Set<string> {
  return new Set(
    (process.env.SHOPWAVE_GAUGES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** One PutMetricData call with every gauge of this run, stamped `now`; throws (the run fails) if CloudWatch refuses. */
export async function publishGauges(gauges: Gauges, now = new Date()): Promise<void> {
  const declared = declaredGauges();
  const undeclared = Object.keys(gauges).filter((name) => !declared.has(name));
  if (undeclared.length)
    throw new Error(`gauges ${undeclared.join(', ')} are not declared in SHOPWAVE_GAUGES (${[...declared].join(', ') || 'none'})`);
  const service = requireEnv('POWERTOOLS_SERVICE_NAME');
  await cloudWatch().send(
    new PutMetricDataCommand({
      Namespace: requireEnv('POWERTOOLS_METRICS_NAMESPACE'),
      MetricData: Object.entries(gauges).map(([MetricName, { value, unit }]) => ({
        MetricName,
        Dimensions: [{ Name: 'service', Value: service }],
        Value: value,
        Unit: unit,
        Timestamp: now,
      })),
    }),
  );
}
