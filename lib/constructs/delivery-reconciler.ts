import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { AWAITING_RESTAURANT_INDEX } from './data-tables';
import { ServiceFunction } from './service-function';

/**
 * The delivery SLI's reconciler (functions/orders/reconciler.ts) on a one-minute schedule. A scheduled
 * `events.Rule`, not EventBridge Scheduler: LocalStack community fires the former and not the latter.
 * Table grants are the orders service's (`bindTables`, lib/services/orders.ts), like every other function's.
 */
export class DeliveryReconciler extends Construct {
  readonly fn: ServiceFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: { config: PlatformConfig }) {
    super(scope, id);
    this.fn = new ServiceFunction(this, 'Handler', {
      config: props.config,
      service: 'orders',
      entry: 'reconciler',
      timeout: Duration.seconds(50), // below the 1-minute period, so two runs rarely overlap (and are safe if they do)
      environment: {
        DELIVERY_SLI_SECONDS: String(props.config.deliverySliSeconds),
        AWAITING_RESTAURANT_INDEX,
      },
    });
    // Through PutMetricData, the path that reaches CloudWatch on every target (functions/shared/gauges.ts).
    this.fn.publishGauges('LostOrders', 'OrdersAwaitingRestaurant', 'OldestAwaitingRestaurantSeconds', 'RevenueAtRisk', 'OrdersOverdue');
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Runs the delivery reconciler every minute',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed run is replaced by the next one a minute later: no retries that would pile up.
      targets: [new LambdaFunction(this.fn.invoked, { retryAttempts: 0 })],
    });
  }
}
