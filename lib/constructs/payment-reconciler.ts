import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { LEDGER_BY_HOUR_INDEX } from './data-tables';
import { ServiceFunction } from './service-function';

/**
 * The payment reconciler (functions/payments/reconciler.ts) on a one-minute schedule: the provider's ledger against
 * payments and orders (seed 002's double charges). A scheduled `events.Rule`, not EventBridge Scheduler: LocalStack
 * community fires the former and not the latter. Table grants are the payments service's (lib/services/payments.ts).
 */
export class PaymentReconciler extends Construct {
  readonly fn: ServiceFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: { config: PlatformConfig }) {
    super(scope, id);
    const { windowMinutes, graceSeconds, settleSeconds } = props.config.paymentReconciler;
    this.fn = new ServiceFunction(this, 'Handler', {
      config: props.config,
      service: 'payments',
      entry: 'reconciler',
      timeout: Duration.seconds(50), // below the 1-minute period, so two runs rarely overlap (and only read if they do)
      environment: {
        LEDGER_BY_HOUR_INDEX,
        PAYMENT_RECONCILE_WINDOW_MINUTES: String(windowMinutes),
        PAYMENT_RECONCILE_GRACE_SECONDS: String(graceSeconds),
        PAYMENT_RECONCILE_SETTLE_SECONDS: String(settleSeconds),
      },
    });
    // Through PutMetricData, the path that reaches CloudWatch on every target (functions/shared/gauges.ts); the
    // mismatch kinds are MISMATCH_METRICS of functions/payments/reconciler.ts (the handler refuses an undeclared one).
    this.fn.publishGauges(
      'PaymentMismatches',
      'DoubleCharges',
      'ChargesWithoutPayment',
      'ChargesWithoutOrder',
      'MissingRefunds',
      'PaymentAmountMismatches',
      'LedgerEntriesReconciled',
      'PaymentBreakerOpen',
    );
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Runs the payment reconciler every minute',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed run is replaced by the next one a minute later: no retries that would pile up.
      targets: [new LambdaFunction(this.fn.invoked, { retryAttempts: 0 })],
    });
  }
}
