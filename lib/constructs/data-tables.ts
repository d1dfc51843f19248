import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * Every DynamoDB table of the platform, one per service (a service owns its data; nobody else writes it), plus the
 * outbox (with the stream the relay reads) and the shared Powertools idempotency table. Generic `pk`/`sk` keys;
 * the item shapes are in docs/architecture.md. On-demand billing and point-in-time recovery everywhere.
 */
export class DataTables extends Construct {
  readonly catalog: Table;
  readonly customers: Table;
  readonly orders: Table;
  readonly inventory: Table;
  readonly payments: Table;
  readonly providerLedger: Table;
  readonly restaurant: Table;
  readonly shipping: Table;
  readonly notifications: Table;
  readonly analytics: Table;
  readonly outbox: Table;
  readonly idempotency: Table;

  constructor(scope: Construct, id: string, props: { removalPolicy?: RemovalPolicy } = {}) {
    super(scope, id);
    const base: Partial<TableProps> = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY, // a sandbox platform; see README before production
    };
    const pkSk = (tableId: string, extra: Partial<TableProps> = {}) =>
      new Table(this, tableId, {
        ...base,
        partitionKey: { name: 'pk', type: AttributeType.STRING },
        sortKey: { name: 'sk', type: AttributeType.STRING },
        ...extra,
      });

    this.catalog = pkSk('Catalog');
    this.catalog.addGlobalSecondaryIndex({
      indexName: 'byMerchant',
      partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
    });
    // Sparse index of products only (`entity` is set on product items), so listing never scans merchants.
    this.catalog.addGlobalSecondaryIndex({
      indexName: 'byEntity',
      partitionKey: { name: 'entity', type: AttributeType.STRING },
      sortKey: { name: 'pk', type: AttributeType.STRING },
    });

    this.customers = pkSk('Customers');

    this.orders = pkSk('Orders');
    this.orders.addGlobalSecondaryIndex({
      indexName: 'byCustomer',
      partitionKey: { name: 'customerId', type: AttributeType.STRING },
      sortKey: { name: 'createdAt', type: AttributeType.STRING },
    });
    // Sparse: only charged orders the restaurant has not received yet carry `awaitingRestaurant`, so the delivery
    // reconciler reads exactly those, oldest first, without a scan. One partition value: fine up to ~1,000 charges
    // a second (the GSI partition's write limit); shard the value (AWAITING#0..n) beyond that.
    this.orders.addGlobalSecondaryIndex({
      indexName: AWAITING_RESTAURANT_INDEX,
      partitionKey: { name: 'awaitingRestaurant', type: AttributeType.STRING },
      sortKey: { name: 'chargedAt', type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['orderId', 'customerId', 'merchantId', 'correlationId', 'total', 'overdueReportedAt'],
    });

    this.inventory = pkSk('Inventory');
    this.payments = pkSk('Payments');

    this.providerLedger = new Table(this, 'ProviderLedger', {
      ...base,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
    });
    // The provider's "list charges and refunds created between": entries by hour bucket (`ledgerHour`, yyyy-mm-ddThh),
    // then `at`. The payment reconciler reads its window from here, one or two partitions a run, never a scan. One
    // bucket takes one hour's writes: fine up to ~1,000 payments a second; shard the bucket (…#0..n) beyond that.
    this.providerLedger.addGlobalSecondaryIndex({
      indexName: LEDGER_BY_HOUR_INDEX,
      partitionKey: { name: 'ledgerHour', type: AttributeType.STRING },
      sortKey: { name: 'at', type: AttributeType.STRING },
    });

    this.restaurant = pkSk('Restaurant');
    this.restaurant.addGlobalSecondaryIndex({
      indexName: 'byMerchant',
      partitionKey: { name: 'merchantId', type: AttributeType.STRING },
      sortKey: { name: 'sentAt', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    this.shipping = pkSk('Shipping');
    this.notifications = pkSk('Notifications');
    this.analytics = pkSk('Analytics');

    this.outbox = new Table(this, 'Outbox', {
      ...base,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      stream: StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: 'expiresAt',
    });

    // Schema required by Powertools idempotency: `id` key, `expiration` TTL.
    this.idempotency = new Table(this, 'Idempotency', {
      ...base,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
    });
  }
}

/** The Orders index of charged orders awaiting the restaurant (functions/orders/reconciler.ts reads it). */
export const AWAITING_RESTAURANT_INDEX = 'awaitingRestaurant';

/** The provider ledger's time index (functions/payments/reconciliation.ts reads it). */
export const LEDGER_BY_HOUR_INDEX = 'byHour';

/** DataTables property → the environment variable through which handlers learn that table's name. */
export const TABLE_ENV = {
  catalog: 'CATALOG_TABLE_NAME',
  customers: 'CUSTOMERS_TABLE_NAME',
  orders: 'ORDERS_TABLE_NAME',
  inventory: 'INVENTORY_TABLE_NAME',
  payments: 'PAYMENTS_TABLE_NAME',
  providerLedger: 'PROVIDER_LEDGER_TABLE_NAME',
  restaurant: 'RESTAURANT_TABLE_NAME',
  shipping: 'SHIPPING_TABLE_NAME',
  notifications: 'NOTIFICATIONS_TABLE_NAME',
  analytics: 'ANALYTICS_TABLE_NAME',
  outbox: 'OUTBOX_TABLE_NAME',
  idempotency: 'IDEMPOTENCY_TABLE_NAME',
} as const satisfies Record<TableKey, string>;
export type TableKey = Exclude<keyof DataTables, keyof Construct>;
