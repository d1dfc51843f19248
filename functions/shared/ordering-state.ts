/**
 * The ordering switch's value (an SSM parameter, lib/constructs/ordering-switch.ts). Pure: shared by the orders API,
 * the CDK construct (its initial value) and the ordering CLI, so all three agree on the shape.
 */
import * as z from 'zod';

export const OrderingStateSchema = z.strictObject({
  acceptingOrders: z.boolean(),
  pausedMerchants: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
    .max(500)
    .default([]),
});
export type OrderingState = z.infer<typeof OrderingStateSchema>;

export const ORDERING_OPEN: OrderingState = { acceptingOrders: true, pausedMerchants: [] };
