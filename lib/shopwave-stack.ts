import { Aspects, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PlatformConfig } from './config';
import { CanaryDeployments } from './constructs/canary-deployments';
import { AcceptanceAccess } from './constructs/acceptance-access';
import { CustomerIdentity } from './constructs/customer-identity';
import { DataTables, TABLE_ENV, type TableKey } from './constructs/data-tables';
import { HubLink } from './constructs/hub-link';
import { LogBusinessMetrics } from './constructs/log-business-metrics';
import { OperationalAlarms } from './constructs/operational-alarms';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { OrderingSwitch } from './constructs/ordering-switch';
import { PRE_TRAFFIC_SERVICE } from './constructs/pre-traffic-hook';
import { PublicApi } from './constructs/public-api';
import { TableBackups } from './constructs/table-backups';
import { WatchAspect } from './constructs/watch';
import { addAnalytics } from './services/analytics';
import { addCatalog } from './services/catalog';
import type { ServiceContext } from './services/context';
import { addCustomers } from './services/customers';
import { addHealth } from './services/health';
import { addInventory } from './services/inventory';
import { addNotifications } from './services/notifications';
import { addOrders } from './services/orders';
import { addOutbox } from './services/outbox';
import { addPayments, PAYMENT_PROVIDER_TIMEOUT_MS } from './services/payments';
import { addRestaurant } from './services/restaurant';
import { addShipping } from './services/shipping';
import { addSimulators } from './services/simulators';

export interface ShopWaveStackProps extends StackProps {
  config: PlatformConfig;
}

/**
 * The whole platform in one stack, composed: the shared pieces (tables, bus and outbox relay, the ordering switch,
 * the customer identity), each service's wiring from lib/services/<service>.ts, the public API's routes, and the
 * alarms and dashboard, which find every function and queue in the construct tree (lib/constructs/watch.ts).
 */
export class ShopWaveStack extends Stack {
  readonly config: PlatformConfig;
  readonly tables: DataTables;
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: ShopWaveStackProps) {
    super(scope, id, props);
    const config = (this.config = props.config);
    const tables = (this.tables = new DataTables(this, 'Data'));
    const bus = (this.bus = new EventBus(this, 'Bus', { eventBusName: `${id}Bus` }));
    addOutbox({ scope: this, config, tables, bus });
    const ordering = new OrderingSwitch(this, 'OrderingSwitch');
    // Customer routes verify bearer tokens; the catalog, health and readiness stay public.
    const identity = new CustomerIdentity(this, 'CustomerIdentity', { cognito: config.awsOnly });
    const ctx: ServiceContext = { scope: this, config, tables, bus, ordering, identity };

    // --- The saga, the simulated actors (the restaurant's tablet, the courier) and the read side ---------------
    addInventory(ctx);
    const payments = addPayments(ctx);
    const orders = addOrders(ctx);
    const restaurant = addRestaurant(ctx);
    const shipping = addShipping(ctx);
    addNotifications(ctx);
    addAnalytics(ctx);
    addSimulators(ctx);
    const catalog = addCatalog(ctx);
    const customers = addCustomers(ctx);
    const health = addHealth(ctx);

    // --- Public API ------------------------------------------------------------------------------------------
    const api = new PublicApi(this, 'PublicApi', {
      config,
      routes: [
        { method: 'GET', path: '/health', handler: health.health },
        { method: 'GET', path: '/ready', handler: health.ready },
        { method: 'GET', path: '/products', handler: catalog.api },
        { method: 'GET', path: '/products/{id}', handler: catalog.api },
        { method: 'GET', path: '/merchants', handler: catalog.api },
        { method: 'GET', path: '/customers/{id}', handler: customers.api },
        { method: 'POST', path: '/orders', handler: orders.api, throttle: { rateLimit: 20, burstLimit: 40 } },
        { method: 'GET', path: '/orders', handler: orders.api },
        { method: 'GET', path: '/orders/{id}', handler: orders.api },
        { method: 'GET', path: '/orders/{id}/tracking', handler: shipping.trackingApi },
        { method: 'GET', path: '/merchants/{id}/orders', handler: restaurant.merchantApi },
        { method: 'POST', path: '/merchants/{id}/orders/{orderId}/acknowledge', handler: restaurant.merchantApi },
        { method: 'POST', path: '/merchants/{id}/orders/{orderId}/reject', handler: restaurant.merchantApi },
      ],
    });

    // --- Business metrics derived from the structured logs (metric filters; not on LocalStack) -----------------
    new LogBusinessMetrics(this, 'LogBusinessMetrics', {
      config,
      ordersApi: orders.api,
      payments: payments.consumer.fn,
      ordersSaga: orders.saga.fn,
    });

    // --- Alarms (to one SNS topic) and the three-audience dashboard (docs/observability.md) ------------------
    const alarms = new OperationalAlarms(this, 'Alarms', { config });
    alarms.addDeliverySli(config.deliverySliSeconds);
    alarms.addOutboxRelay();
    alarms.addPayments(PAYMENT_PROVIDER_TIMEOUT_MS);
    alarms.addApi(api.api);
    alarms.addAuthFailures();
    alarms.addDemand(config.orderCapacityPerMinute);
    alarms.addTrackingFreshness(config.trackingFreshnessSeconds);
    // AWS Backup and table exports exist only on AWS (LocalStack community has neither); offline: npm run backup.
    if (config.target === 'aws') {
      const backups = new TableBackups(this, 'Backups', { config, tables });
      alarms.addBackups(backups.tableCount);
      new CfnOutput(this, 'BackupBucketName', { value: backups.exportBucket.bucketName });
      new CfnOutput(this, 'BackupVaultName', { value: backups.vault.backupVaultName });
      // What the deploy pipeline's acceptance step may do on this stage (the deploy role itself may only deploy).
      new AcceptanceAccess(this, 'AcceptanceAccess', {
        seedTables: [tables.catalog, tables.customers, tables.inventory],
        restaurantTable: tables.restaurant,
        orderingParameter: ordering.parameter,
        userPool: identity.userPool!,
        lostOrdersAlarm: alarms.alarm('LostOrders')!,
      });
    }
    // The central observability hub (docs/observability-hub.md), aws only and only when asked for: an OAM link
    // (`-c hubSinkArn=…`) and every function's logs to the hub's archive (`-c hubLogDestinationArn=…`).
    const { sinkArn, logDestinationArn } = config.hub;
    const hubLink = config.target === 'aws' && (sinkArn || logDestinationArn) ? new HubLink(this, 'Hub', config.hub) : undefined;
    // Every function, consumer queue and DLQ is found in the construct tree at synthesis, not listed here.
    Aspects.of(this).add(
      new WatchAspect(this, (watched) => {
        alarms.watch(watched);
        hubLink?.watch(watched.functions);
        // Canary deployments behind the `live` aliases, each new version probed by a pre-traffic hook first and
        // rolled back by these alarms: aws only (no CodeDeploy on LocalStack community, nothing to shift offline).
        if (config.target === 'aws') {
          const deployments = new CanaryDeployments(this, 'Deployments', {
            functions: watched.functions,
            config,
            alarm: (alarmId) => alarms.alarm(alarmId),
            // The hook's errors: a deployment it could not report on waits for CodeDeploy's hook timeout.
            watchHook: (id, hook) =>
              alarms.addFunction(id, hook, {
                errorsRunbook: 'deployAndRollback',
                errorsSummary: `${id} (the canaries' pre-traffic check) failed invocations: a deployment may wait for CodeDeploy's 1 h hook timeout.`,
              }),
          });
          hubLink?.watchLogs('PreTrafficHook', deployments.preTrafficHook.logGroup, PRE_TRAFFIC_SERVICE);
        }
        // LocalStack 4.14 has no provider for AWS::CloudWatch::Dashboard (it would be a no-op, and fail in later
        // releases): the exported docs/dashboards/cloudwatch-dashboard.json serves there.
        if (config.target === 'localstack') return;
        new OperationsDashboard(this, 'Operations', {
          api: api.api,
          functions: Object.fromEntries(watched.functions.map((w) => [w.name, w.fn])),
          queues: Object.fromEntries(watched.queues.flatMap((w) => (w.queue ? [[w.name, w.queue]] : []))),
          deadLetterQueues: Object.fromEntries(watched.queues.map((w) => [w.name, w.deadLetterQueue])),
          tables: Object.fromEntries((Object.keys(TABLE_ENV) as TableKey[]).map((key) => [key, tables[key]])),
          alarms: alarms.alarms,
        });
      }),
    );

    // Where the mitigation tools (tools/replay.ts, tools/redrive.ts) also write their audit records on a deployed
    // stack: append-only for operators (PutLogEvents only), kept a year, and kept when the stack is deleted.
    const audit = new LogGroup(this, 'MitigationAudit', { retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    new CfnOutput(this, 'AuditLogGroupName', { value: audit.logGroupName });
    new CfnOutput(this, 'ApiUrl', { value: api.api.url });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
    new CfnOutput(this, 'OrderingParameterName', { value: ordering.parameter.parameterName });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    for (const key of ['catalog', 'customers', 'inventory', 'orders', 'restaurant', 'outbox', 'idempotency'] as const) {
      new CfnOutput(this, `${key[0].toUpperCase()}${key.slice(1)}TableName`, { value: tables[key].tableName });
    }
  }
}
