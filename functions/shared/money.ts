/**
 * Money is an integer number of minor units (cents) plus an ISO currency: floats lose cents
 * (0.1 + 0.2 !== 0.3), and a total must never depend on the order lines are added in.
 */
import * as z from 'zod';

export const CurrencySchema = z.enum(['EUR', 'USD', 'GBP']);
export type Currency = z.infer<typeof CurrencySchema>;

export const MoneySchema = z.strictObject({
  amount: z.number().int().nonnegative().max(100_000_000), // 1,000,000.00 is beyond any single order here
  currency: CurrencySchema,
});
export type Money = z.infer<typeof MoneySchema>;

export function money(amount: number, currency: Currency): Money {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`money amount must be a non-negative integer, got ${amount}`);
  return { amount, currency };
}

export function multiply(price: Money, quantity: number): Money {
  if (!Number.isSafeInteger(quantity) || quantity < 0) throw new RangeError(`quantity must be a non-negative integer, got ${quantity}`);
  return money(price.amount * quantity, price.currency);
}

/** Sums amounts of one currency; mixing currencies is a bug upstream, so it throws. */
export function sum(amounts: Money[], currency: Currency): Money {
  let total = 0;
  for (const m of amounts) {
    if (m.currency !== currency) throw new Error(`cannot add ${m.currency} to ${currency}`);
    total += m.amount;
  }
  return money(total, currency);
}

export function format(m: Money): string {
  return `${(m.amount / 100).toFixed(2)} ${m.currency}`;
}
