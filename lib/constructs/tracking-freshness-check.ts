import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { ServiceFunction } from './service-function';

/**
 * Analytics' tracking freshness check (functions/analytics/freshness-check.ts) on a one-minute schedule, like the
 * delivery reconciler: a scheduled `events.Rule` (LocalStack community fires it), no retries (the next run replaces
 * a missed one). Table grants are analytics' (`bindTables`, lib/services/analytics.ts): its own table, read-only.
 */
export class TrackingFreshnessCheck extends Construct {
  readonly fn: ServiceFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: { config: PlatformConfig }) {
    super(scope, id);
    this.fn = new ServiceFunction(this, 'Handler', {
      config: props.config,
      service: 'analytics',
      entry: 'freshness-check',
      timeout: Duration.seconds(30),
    });
    // Through PutMetricData, the path that reaches CloudWatch on every target (functions/shared/gauges.ts).
    this.fn.publishGauges('TrackingStalenessSeconds', 'OrdersAwaitingTracking');
    this.schedule = new Rule(this, 'Schedule', {
      description: "Runs analytics' tracking freshness check every minute",
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.fn.invoked, { retryAttempts: 0 })],
    });
  }
}
