/**
 * A consumer's handler map covers exactly its subscriptions (functions/<service>/subscriptions.ts, the list its
 * rule is built from): a mismatch is a compile error for a literal map (tsc runs in `npm test`, and an
 * unneeded @ts-expect-error is an error too) and a cold-start error for a map built at runtime.
 */
import { describe, expect, it } from 'vitest';
import { ContractError } from './contracts/events';
import { createEventConsumer, type EventHandlers } from './event-consumer';

const EVENTS = ['order.created', 'order.paid'] as const;
const noop = async () => {};

/** Never called: only compiled (tsc checks the @ts-expect-error lines). */
function typeChecks(): void {
  createEventConsumer(EVENTS, { 'order.created': async ({ envelope }) => void envelope.data.total, 'order.paid': noop });
  // @ts-expect-error a subscribed event without a handler
  createEventConsumer(EVENTS, { 'order.created': noop });
  // @ts-expect-error a handler for an event the consumer does not subscribe to
  createEventConsumer(EVENTS, { 'order.created': noop, 'order.paid': noop, 'payment.failed': noop });
}

void typeChecks; // referenced, never run: `npm test` typechecks it

describe('createEventConsumer', () => {
  it('refuses, at cold start, a handler map that does not match the subscriptions', () => {
    const missing = { 'order.created': noop } as unknown as EventHandlers<(typeof EVENTS)[number]>;
    expect(() => createEventConsumer(EVENTS, missing)).toThrow(ContractError);
    expect(() => createEventConsumer(EVENTS, missing)).toThrow(/missing \["order.paid"\]/);
    const extra = { 'order.created': noop, 'order.paid': noop, 'payment.failed': noop } as unknown as EventHandlers<
      (typeof EVENTS)[number]
    >;
    expect(() => createEventConsumer(EVENTS, extra)).toThrow(/not subscribed \["payment.failed"\]/);
  });
});
