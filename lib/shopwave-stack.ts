import { CfnOutput, Duration, Stack, Validations, type CfnResource, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PlatformConfig } from './config';
import { CustomerIdentity } from './constructs/customer-identity';
import { DataTables, TABLE_ENV, type TableKey } from './constructs/data-tables';
import { DeliveryReconciler } from './constructs/delivery-reconciler';
import { EventConsumer } from './constructs/event-consumer';
import { OperationalAlarms } from './constructs/operational-alarms';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { OrderingSwitch } from './constructs/ordering-switch';
import { OutboxRelay } from './constructs/outbox-relay';
import { PublicApi } from './constructs/public-api';
import { ServiceFunction } from './constructs/service-function';

export interface ShopWaveStackProps extends StackProps {
  config: PlatformConfig;
}

/**
 * The whole platform in one stack: tables, the bus and the outbox relay, one EventConsumer per subscribing
 * handler, and the public API. What each function may touch is declared once, in `access`, which both grants IAM
 * and sets the table-name variables, so a handler can only name tables it was granted.
 */
export class ShopWaveStack extends Stack {
  readonly tables: DataTables;
  readonly bus: EventBus;
  readonly consumers: Record<string, EventConsumer> = {};

  constructor(scope: Construct, id: string, props: ShopWaveStackProps) {
    super(scope, id, props);
    const { config } = props;
    const tables = (this.tables = new DataTables(this, 'Data'));
    const bus = (this.bus = new EventBus(this, 'Bus', { eventBusName: `${id}Bus` }));
    const relay = new OutboxRelay(this, 'OutboxRelay', { config, outbox: tables.outbox, bus });

    /** Grants table access and passes the table names. `outbox` is write-only (PutItem inside transactions). */
    const access = (fn: LambdaFunction, use: { write?: TableKey[]; read?: TableKey[]; outbox?: boolean; idempotency?: boolean }) => {
      const grant = (key: TableKey, how: (t: Table) => void) => {
        how(tables[key]);
        fn.addEnvironment(TABLE_ENV[key], tables[key].tableName);
        // Grants on a table with GSIs include `<table>/index/*`: acknowledge exactly that finding, nothing wider.
        const logicalId = this.getLogicalId(tables[key].node.defaultChild as CfnResource);
        Validations.of(fn).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
          reason: `Queries on the indexes of the ${key} table; scoped to that table's own indexes.`,
        });
      };
      for (const key of use.write ?? []) grant(key, (t) => t.grantReadWriteData(fn));
      for (const key of use.read ?? []) grant(key, (t) => t.grantReadData(fn));
      if (use.outbox) grant('outbox', (t) => t.grant(fn, 'dynamodb:PutItem'));
      if (use.idempotency) grant('idempotency', (t) => t.grantReadWriteData(fn));
    };
    const consumer = (id: string, props: Omit<ConstructorParameters<typeof EventConsumer>[2], 'config' | 'bus'>) =>
      (this.consumers[id] = new EventConsumer(this, id, { config, bus, ...props }));
    const apiFunction = (id: string, service: string, entry = 'api') => new ServiceFunction(this, id, { config, service, entry });

    // --- The saga -------------------------------------------------------------------------------------------
    const inventory = consumer('InventoryConsumer', {
      service: 'inventory',
      entry: 'consumer',
      events: ['order.created', 'payment.failed', 'restaurant.order-rejected'],
    });
    access(inventory.fn, { write: ['inventory'], outbox: true, idempotency: true });

    const payments = consumer('PaymentsConsumer', {
      service: 'payments',
      entry: 'consumer',
      events: ['inventory.reserved', 'restaurant.order-rejected'],
      environment: {
        PAYMENT_PROVIDER_TIMEOUT_MS: '3000',
        PAYMENT_SIMULATOR_CONFIG: JSON.stringify(config.paymentSimulator),
      },
    });
    access(payments.fn, { write: ['payments', 'providerLedger'], read: ['customers'], outbox: true, idempotency: true });

    const ordersSaga = consumer('OrdersSaga', {
      service: 'orders',
      entry: 'saga-consumer',
      events: [
        'inventory.reserved',
        'inventory.rejected',
        'payment.processed',
        'payment.failed',
        'restaurant.order-received',
        'restaurant.order-rejected',
        'order.shipped',
        'order.delivered',
        'payment.refunded',
        'inventory.released',
      ],
    });
    access(ordersSaga.fn, { write: ['orders'], outbox: true, idempotency: true });

    const restaurantEnv = { RESTAURANT_ACK_DEADLINE_SECONDS: String(config.restaurantAckDeadlineSeconds) };
    const restaurant = consumer('RestaurantConsumer', { service: 'restaurant', entry: 'consumer', events: ['order.paid'], environment: restaurantEnv });
    access(restaurant.fn, { write: ['restaurant'], outbox: true, idempotency: true });

    // The ack deadline is a delayed copy of order.paid: when it becomes visible, an unacknowledged order is cancelled.
    const ackTimeout = consumer('RestaurantAckTimeout', {
      service: 'restaurant',
      entry: 'ack-timeout',
      events: ['order.paid'],
      deliveryDelay: Duration.seconds(config.restaurantAckDeadlineSeconds),
      environment: restaurantEnv,
    });
    access(ackTimeout.fn, { write: ['restaurant'], outbox: true, idempotency: true });

    const shipping = consumer('ShippingConsumer', { service: 'shipping', entry: 'consumer', events: ['restaurant.order-received'] });
    access(shipping.fn, { write: ['shipping'], outbox: true, idempotency: true });

    const notifications = consumer('NotificationsConsumer', {
      service: 'notifications',
      entry: 'consumer',
      events: [
        'order.created',
        'inventory.rejected',
        'payment.failed',
        'order.paid',
        'restaurant.order-rejected',
        'order.shipped',
        'order.delivered',
        'payment.refunded',
        'order.cancelled',
        'order.delivery-overdue',
      ],
    });
    access(notifications.fn, { write: ['notifications'], idempotency: true });

    const analytics = consumer('AnalyticsConsumer', {
      service: 'analytics',
      entry: 'consumer',
      eventPattern: { source: [{ prefix: 'shopwave.' }] as unknown as string[] },
    });
    access(analytics.fn, { write: ['analytics'], idempotency: true });

    // --- Simulated actors: the restaurant's tablet and the courier -------------------------------------------
    const tablet = consumer('TabletSimulator', {
      service: 'simulators',
      entry: 'tablet',
      events: ['restaurant.order-sent-to-tablet'],
      environment: { ...restaurantEnv, TABLET_SIMULATOR_CONFIG: JSON.stringify(config.tabletSimulator) },
    });
    access(tablet.fn, { write: ['restaurant'], outbox: true, idempotency: true });

    const courier = consumer('CourierSimulator', {
      service: 'simulators',
      entry: 'courier',
      events: ['order.shipped'],
      timeout: Duration.seconds(60),
      environment: { COURIER_SIMULATOR_CONFIG: JSON.stringify(config.courierSimulator) },
    });
    access(courier.fn, { write: ['shipping'], outbox: true, idempotency: true });

    // --- Operations: the delivery SLI's reconciler ------------------------------------------------------------
    const reconciler = new DeliveryReconciler(this, 'DeliveryReconciler', { config });
    access(reconciler.fn, { write: ['orders'], outbox: true });

    // --- Public API ------------------------------------------------------------------------------------------
    const health = apiFunction('HealthApi', 'health');
    const catalogApi = apiFunction('CatalogApi', 'catalog');
    access(catalogApi, { read: ['catalog', 'inventory'] });
    const customersApi = apiFunction('CustomersApi', 'customers');
    access(customersApi, { read: ['customers'] });
    const ordersApi = apiFunction('OrdersApi', 'orders');
    access(ordersApi, { write: ['orders'], read: ['catalog', 'customers'], outbox: true, idempotency: true });
    const ordering = new OrderingSwitch(this, 'OrderingSwitch');
    ordering.grantRead(ordersApi);

    // Readiness: may describe every table, the bus and the switch — and read none of their data.
    const readyApi = apiFunction('ReadyApi', 'health', 'ready');
    // DescribeTable on the table ARNs only (Table.grant would add each table's index/* wildcard).
    const tableKeys = Object.keys(TABLE_ENV) as TableKey[];
    readyApi.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: tableKeys.map((key) => tables[key].tableArn) }));
    for (const key of tableKeys) readyApi.addEnvironment(TABLE_ENV[key], tables[key].tableName);
    readyApi.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    readyApi.addToRolePolicy(new PolicyStatement({ actions: ['events:DescribeEventBus'], resources: [bus.eventBusArn] }));
    ordering.grantRead(readyApi);
    const trackingApi = apiFunction('TrackingApi', 'shipping');
    access(trackingApi, { read: ['shipping'] });
    // The restaurant's tablet over HTTP, for merchants holding an API key (stored hashed in the restaurant table).
    const merchantApi = apiFunction('MerchantApi', 'restaurant');
    access(merchantApi, { write: ['restaurant'], outbox: true });
    // Customer routes verify bearer tokens; the catalog, health and readiness stay public.
    const identity = new CustomerIdentity(this, 'CustomerIdentity', { cognito: config.awsOnly });
    for (const fn of [ordersApi, trackingApi, customersApi]) identity.grantVerify(fn);
    identity.grantKeyProbe(readyApi);

    const api = new PublicApi(this, 'PublicApi', {
      config,
      routes: [
        { method: 'GET', path: '/health', handler: health },
        { method: 'GET', path: '/ready', handler: readyApi },
        { method: 'GET', path: '/products', handler: catalogApi },
        { method: 'GET', path: '/products/{id}', handler: catalogApi },
        { method: 'GET', path: '/merchants', handler: catalogApi },
        { method: 'GET', path: '/customers/{id}', handler: customersApi },
        { method: 'POST', path: '/orders', handler: ordersApi, throttle: { rateLimit: 20, burstLimit: 40 } },
        { method: 'GET', path: '/orders', handler: ordersApi },
        { method: 'GET', path: '/orders/{id}', handler: ordersApi },
        { method: 'GET', path: '/orders/{id}/tracking', handler: trackingApi },
        { method: 'GET', path: '/merchants/{id}/orders', handler: merchantApi },
        { method: 'POST', path: '/merchants/{id}/orders/{orderId}/acknowledge', handler: merchantApi },
        { method: 'POST', path: '/merchants/{id}/orders/{orderId}/reject', handler: merchantApi },
      ],
    });

    // --- Alarms (to one SNS topic) and the three-audience dashboard (docs/observability.md) ------------------
    const alarms = new OperationalAlarms(this, 'Alarms', { config });
    alarms.addDeliverySli(config.deliverySliSeconds);
    alarms.addOutboxRelay();
    alarms.addApi(api.api);
    alarms.notify(relay.dlqAlarm);
    const functions: Record<string, LambdaFunction> = {
      OutboxRelay: relay.fn,
      DeliveryReconciler: reconciler.fn,
      HealthApi: health,
      ReadyApi: readyApi,
      CatalogApi: catalogApi,
      CustomersApi: customersApi,
      OrdersApi: ordersApi,
      TrackingApi: trackingApi,
      MerchantApi: merchantApi,
    };
    for (const [id, c] of Object.entries(this.consumers)) {
      functions[id] = c.fn;
      alarms.notify(c.dlqAlarm);
      alarms.addQueueBacklog(id, c.queue, c.deliveryDelay);
    }
    for (const [id, fn] of Object.entries(functions)) alarms.addFunction(id, fn);

    new OperationsDashboard(this, 'Operations', {
      api: api.api,
      functions,
      queues: Object.fromEntries(Object.entries(this.consumers).map(([id, c]) => [id, c.queue])),
      deadLetterQueues: {
        ...Object.fromEntries(Object.entries(this.consumers).map(([id, c]) => [id, c.deadLetterQueue])),
        OutboxRelay: relay.deadLetterQueue,
      },
      tables: Object.fromEntries((Object.keys(TABLE_ENV) as TableKey[]).map((key) => [key, tables[key]])),
      alarms: alarms.alarms,
    });

    new CfnOutput(this, 'ApiUrl', { value: api.api.url });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
    new CfnOutput(this, 'OrderingParameterName', { value: ordering.parameter.parameterName });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    for (const key of ['catalog', 'customers', 'inventory', 'orders', 'restaurant'] as const) {
      new CfnOutput(this, `${key[0].toUpperCase()}${key.slice(1)}TableName`, { value: tables[key].tableName });
    }
  }
}
