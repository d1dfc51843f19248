/**
 * The catalog's item shapes, apart from the handlers' reads: the seed data (tools/seed-data.ts) builds items with
 * them inside the offline platform's own process, which must not load the SDK clients and Powertools Tracer that
 * products.ts brings (the X-Ray SDK installs a process-wide async hook on every promise).
 */
import type { Money } from '../shared/money';

export interface Product {
  productId: string;
  merchantId: string;
  name: string;
  description: string;
  tags: string[];
  price: Money;
  /** On the menu right now (stock is separate, in the Inventory table). */
  available: boolean;
}
export interface Merchant {
  merchantId: string;
  name: string;
  cuisine: string;
}

export const productItem = (p: Product) => ({
  pk: `PRODUCT#${p.productId}`,
  sk: 'PRODUCT',
  entity: 'PRODUCT', // only products carry it: byEntity is a sparse product index
  gsi1pk: `MERCHANT#${p.merchantId}`,
  gsi1sk: `PRODUCT#${p.name}`,
  ...p,
});
/** Merchants share one byMerchant partition (`MERCHANTS`), so one query lists them sorted by name. */
export const merchantItem = (m: Merchant) => ({
  pk: `MERCHANT#${m.merchantId}`,
  sk: 'PROFILE',
  gsi1pk: 'MERCHANTS',
  gsi1sk: `MERCHANT#${m.name}`,
  ...m,
});
