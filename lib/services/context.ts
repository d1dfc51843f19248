import type { Stack } from 'aws-cdk-lib';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import type { PlatformConfig } from '../config';
import type { CustomerIdentity } from '../constructs/customer-identity';
import type { DataTables } from '../constructs/data-tables';
import { EventConsumer, type EventConsumerProps } from '../constructs/event-consumer';
import type { OrderingSwitch } from '../constructs/ordering-switch';
import { ServiceFunction } from '../constructs/service-function';

/**
 * What the stack hands every service module (lib/services/<service>.ts): the shared pieces, created once in
 * lib/shopwave-stack.ts. Services create their resources directly in `scope`, the stack, never in a Construct of
 * their own: a logical id is derived from the construct path, so a new scope would replace every queue and table
 * below it on the next deploy (test/logical-ids.test.ts holds them).
 */
export interface ServiceContext {
  scope: Stack;
  config: PlatformConfig;
  tables: DataTables;
  bus: EventBus;
  /** The ordering switch: the orders API obeys it, readiness reports it. */
  ordering: OrderingSwitch;
  /** Whose customer tokens the customer routes trust. */
  identity: CustomerIdentity;
}

/** An EventConsumer on the platform's bus, in the stack's scope. */
export function consumer(ctx: ServiceContext, id: string, props: Omit<EventConsumerProps, 'config' | 'bus'>): EventConsumer {
  return new EventConsumer(ctx.scope, id, { config: ctx.config, bus: ctx.bus, ...props });
}

/** A function behind API routes (the stack wires the routes), in the stack's scope. */
export function apiFunction(ctx: ServiceContext, id: string, service: string, entry = 'api'): ServiceFunction {
  return new ServiceFunction(ctx.scope, id, { config: ctx.config, service, entry });
}
