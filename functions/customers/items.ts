/** The customer item's shape, apart from the reads (see functions/catalog/items.ts for why). */
export interface Customer {
  customerId: string;
  name: string;
  email: string;
  /** The provider token (e.g. 'tok_visa'); read by payments, never returned by the API. */
  paymentMethod: string;
}
export type CustomerView = Omit<Customer, 'paymentMethod'>;

export const customerItem = (c: Customer) => ({ pk: `CUSTOMER#${c.customerId}`, sk: 'PROFILE', ...c });
