/**
 * The event contract: every event on the ShopWave bus, its source and its detail, in one place.
 * Producers build events with `newEvent`, consumers parse them with `parseEvent`, and the contract tests check
 * both against this file. Change a schema → bump its schemaVersion and keep consumers reading the old one.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { MoneySchema } from '../money';

const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);
const IsoDate = z.iso.datetime({ offset: true });

export const EventMetadataSchema = z.strictObject({
  eventId: z.uuid(),
  /** Follows one customer action (an order) across every service. */
  correlationId: z.string().min(1).max(128),
  /** The event (or request) that directly caused this one. */
  causationId: z.string().min(1).max(128),
  occurredAt: IsoDate,
  schemaVersion: z.literal(1),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;

/**
 * The most lines one order may have: inventory reserves all of them in one transaction (2 items per line, plus the
 * reservation and the outbox row, ≤ 100 items), so the orders API refuses more. One number for both services.
 */
export const MAX_ORDER_LINES = 20;

const OrderLine = z.strictObject({
  productId: Id,
  name: z.string().max(200),
  quantity: z.number().int().positive(),
  unitPrice: MoneySchema,
});
const StockLine = z.strictObject({ productId: Id, quantity: z.number().int().positive() });
const Location = z.strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });

/** detail-type → producing service and data schema. */
export const EventCatalog = {
  'order.created': {
    source: 'shopwave.orders',
    data: z.strictObject({ orderId: Id, customerId: Id, merchantId: Id, items: z.array(OrderLine).min(1), total: MoneySchema }),
  },
  'order.paid': {
    source: 'shopwave.orders',
    data: z.strictObject({ orderId: Id, customerId: Id, merchantId: Id, items: z.array(OrderLine).min(1), total: MoneySchema }),
  },
  'order.cancelled': {
    source: 'shopwave.orders',
    data: z.strictObject({ orderId: Id, customerId: Id, reason: z.string().max(200) }),
  },
  /** The delivery reconciler found a charged order the restaurant has not received within the SLI deadline. */
  'order.delivery-overdue': {
    source: 'shopwave.orders',
    data: z.strictObject({
      orderId: Id,
      customerId: Id,
      merchantId: Id,
      total: MoneySchema,
      chargedAt: IsoDate,
      overdueSeconds: z.number().int().nonnegative(),
    }),
  },
  'inventory.reserved': {
    source: 'shopwave.inventory',
    data: z.strictObject({ orderId: Id, customerId: Id, merchantId: Id, items: z.array(StockLine).min(1), total: MoneySchema }),
  },
  'inventory.rejected': {
    source: 'shopwave.inventory',
    data: z.strictObject({ orderId: Id, customerId: Id, reason: z.enum(['OUT_OF_STOCK', 'UNKNOWN_PRODUCT']), productIds: z.array(Id) }),
  },
  'inventory.released': {
    source: 'shopwave.inventory',
    data: z.strictObject({ orderId: Id, items: z.array(StockLine), reason: z.string().max(200) }),
  },
  'payment.processed': {
    source: 'shopwave.payments',
    data: z.strictObject({ orderId: Id, customerId: Id, paymentId: Id, amount: MoneySchema, providerChargeId: z.string().min(1).max(128) }),
  },
  'payment.failed': {
    source: 'shopwave.payments',
    data: z.strictObject({ orderId: Id, customerId: Id, amount: MoneySchema, reason: z.string().max(200) }),
  },
  'payment.refunded': {
    source: 'shopwave.payments',
    data: z.strictObject({ orderId: Id, customerId: Id, paymentId: Id, amount: MoneySchema, reason: z.string().max(200) }),
  },
  'restaurant.order-sent-to-tablet': {
    source: 'shopwave.restaurant',
    data: z.strictObject({ orderId: Id, merchantId: Id, customerId: Id, items: z.array(OrderLine).min(1) }),
  },
  'restaurant.order-received': {
    source: 'shopwave.restaurant',
    data: z.strictObject({ orderId: Id, merchantId: Id, customerId: Id, acknowledgedAt: IsoDate }),
  },
  'restaurant.order-rejected': {
    source: 'shopwave.restaurant',
    data: z.strictObject({ orderId: Id, merchantId: Id, customerId: Id, reason: z.enum(['REJECTED_BY_RESTAURANT', 'ACK_TIMEOUT']) }),
  },
  'order.shipped': {
    source: 'shopwave.shipping',
    data: z.strictObject({ orderId: Id, customerId: Id, merchantId: Id, shipmentId: Id, courierId: Id }),
  },
  'tracking.updated': {
    source: 'shopwave.shipping',
    data: z.strictObject({
      orderId: Id,
      shipmentId: Id,
      status: z.enum(['PICKED_UP', 'EN_ROUTE', 'NEARBY', 'DELIVERED']),
      location: Location,
      at: IsoDate,
    }),
  },
  'order.delivered': {
    source: 'shopwave.shipping',
    data: z.strictObject({ orderId: Id, customerId: Id, shipmentId: Id, deliveredAt: IsoDate }),
  },
} as const;

export type DetailType = keyof typeof EventCatalog;
export type EventData<T extends DetailType> = z.infer<(typeof EventCatalog)[T]['data']>;
export const DETAIL_TYPES = Object.keys(EventCatalog) as DetailType[];

/** The `detail` of every event on the bus. */
export interface EventEnvelope<T extends DetailType = DetailType> {
  metadata: EventMetadata;
  data: EventData<T>;
}

/** An event ready for the outbox: what EventBridge PutEvents needs plus the typed envelope. */
export interface DomainEvent<T extends DetailType = DetailType> {
  source: string;
  detailType: T;
  detail: EventEnvelope<T>;
}

/** Builds and validates an event; an invalid event is a bug in the producer, so it throws. */
export function newEvent<T extends DetailType>(
  detailType: T,
  data: EventData<T>,
  cause: { correlationId: string; causationId: string },
): DomainEvent<T> {
  const entry = EventCatalog[detailType];
  const detail = {
    metadata: {
      eventId: randomUUID(),
      correlationId: cause.correlationId,
      causationId: cause.causationId,
      occurredAt: new Date().toISOString(),
      schemaVersion: 1 as const,
    },
    data: entry.data.parse(data) as EventData<T>,
  };
  return { source: entry.source, detailType, detail };
}

/** Continues the causal chain: the new event shares the correlation id and is caused by `event`. */
export function causedBy(event: { metadata: EventMetadata }): { correlationId: string; causationId: string } {
  return { correlationId: event.metadata.correlationId, causationId: event.metadata.eventId };
}

export class ContractError extends Error {
  constructor(
    message: string,
    readonly issues?: unknown,
  ) {
    super(message);
    this.name = 'ContractError';
  }
}

/**
 * Validates an event as delivered by EventBridge (source, detail-type, detail) against the catalog.
 * Throws ContractError when it does not conform, so the record fails and, after retries, reaches the DLQ.
 */
export function parseEvent(event: { source: string; 'detail-type': string; detail: unknown }): DomainEvent {
  const detailType = event['detail-type'] as DetailType;
  const entry = EventCatalog[detailType];
  if (!entry) throw new ContractError(`unknown detail-type '${event['detail-type']}'`);
  if (event.source !== entry.source) throw new ContractError(`'${detailType}' must come from ${entry.source}, not ${event.source}`);
  const envelope = z.strictObject({ metadata: EventMetadataSchema, data: entry.data }).safeParse(event.detail);
  if (!envelope.success)
    throw new ContractError(`'${detailType}' does not match its contract: ${z.prettifyError(envelope.error)}`, envelope.error.issues);
  return { source: entry.source, detailType, detail: envelope.data as EventEnvelope };
}
