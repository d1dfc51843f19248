/**
 * Demo data: merchants, menus, stock and customers that make every branch of the saga reachable (README table).
 * Idempotent: re-running overwrites the same items. Used by `npm start`, the end-to-end tests and scripts/seed.ts.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { merchantItem, productItem, type Merchant, type Product } from '../functions/catalog/items';
import { customerItem, type Customer } from '../functions/customers/items';

export const DEMO = {
  merchants: { pizza: 'm-pizza', sushi: 'm-sushi', burger: 'm-burger', closed: 'm-closed', silent: 'm-silent' },
  customers: { alice: 'c-alice', bob: 'c-bob', declined: 'c-declined' },
  /** Stock 3: asking for a fourth unit is rejected OUT_OF_STOCK. */
  scarceProduct: 'p-truffle-pizza',
  /** Stock 10: the flash-sale game day (tools/game-day/scenarios/flash-sale.ts) sells it ten times over. */
  flashSaleProduct: 'p-flash-deal',
  /** One ordinary product per merchant, for examples and tests. */
  products: { pizza: 'p-margherita', sushi: 'p-salmon-nigiri', burger: 'p-classic-burger', closed: 'p-fusion-bowl', silent: 'p-pancakes' },
} as const;

const MERCHANTS: Merchant[] = [
  { merchantId: 'm-pizza', name: "Luigi's Pizza", cuisine: 'Italian' },
  { merchantId: 'm-sushi', name: 'Sakura Sushi', cuisine: 'Japanese' },
  { merchantId: 'm-burger', name: 'Bun Appétit', cuisine: 'Burgers' },
  { merchantId: 'm-closed', name: 'Closed Kitchen', cuisine: 'Fusion' }, // its simulated tablet always rejects
  { merchantId: 'm-silent', name: 'Silent Tablet Diner', cuisine: 'Diner' }, // its simulated tablet never answers
];

const eur = (amount: number) => ({ amount, currency: 'EUR' as const });
const p = (productId: string, merchantId: string, name: string, description: string, tags: string[], cents: number, stock: number) => ({
  product: { productId, merchantId, name, description, tags, price: eur(cents), available: true } satisfies Product,
  stock,
});

const PRODUCTS = [
  p('p-margherita', 'm-pizza', 'Margherita', 'Tomato, mozzarella, basil', ['pizza', 'vegetarian'], 950, 500),
  p('p-diavola', 'm-pizza', 'Diavola', 'Spicy salami, chili, mozzarella', ['pizza', 'spicy'], 1190, 400),
  p('p-quattro-formaggi', 'm-pizza', 'Quattro Formaggi', 'Four cheeses', ['pizza', 'vegetarian'], 1250, 300),
  p('p-tiramisu', 'm-pizza', 'Tiramisù', 'Mascarpone, espresso, cocoa', ['dessert'], 650, 200),
  p(DEMO.scarceProduct, 'm-pizza', 'Truffle Pizza', 'Black truffle, fior di latte — three a night', ['pizza', 'special'], 2490, 3),
  p('p-salmon-nigiri', 'm-sushi', 'Salmon Nigiri (2)', 'Fresh salmon on rice', ['sushi', 'fish'], 590, 400),
  p('p-california-roll', 'm-sushi', 'California Roll (8)', 'Crab, avocado, cucumber', ['sushi'], 890, 300),
  p('p-veggie-maki', 'm-sushi', 'Veggie Maki (6)', 'Cucumber, avocado, pickled radish', ['sushi', 'vegetarian'], 690, 300),
  p('p-miso-soup', 'm-sushi', 'Miso Soup', 'Tofu, wakame, spring onion', ['soup', 'vegetarian'], 390, 250),
  p('p-classic-burger', 'm-burger', 'Classic Burger', 'Beef, cheddar, pickles', ['burger'], 1090, 400),
  p('p-veggie-burger', 'm-burger', 'Veggie Burger', 'Black bean patty, avocado', ['burger', 'vegetarian'], 1050, 300),
  p(DEMO.flashSaleProduct, 'm-burger', 'Smash Burger Deal', 'Flash sale: ten tonight at half price', ['burger', 'deal'], 590, 10),
  p('p-fries', 'm-burger', 'Fries', 'Hand-cut, sea salt', ['side', 'vegetarian'], 390, 500),
  p('p-fusion-bowl', 'm-closed', 'Fusion Bowl', 'Whatever the chef fancies', ['bowl'], 1390, 200),
  p('p-dumplings', 'm-closed', 'Dumplings (6)', 'Pork and chive', ['dumplings'], 790, 200),
  p('p-pancakes', 'm-silent', 'Pancakes', 'Maple syrup, butter', ['breakfast', 'vegetarian'], 850, 200),
  p('p-club-sandwich', 'm-silent', 'Club Sandwich', 'Chicken, bacon, lettuce, tomato', ['sandwich'], 990, 200),
];

const CUSTOMERS: Customer[] = [
  { customerId: 'c-alice', name: 'Alice Martin', email: 'alice@example.com', paymentMethod: 'tok_visa' },
  { customerId: 'c-bob', name: 'Bob Okafor', email: 'bob@example.com', paymentMethod: 'tok_visa' },
  { customerId: 'c-declined', name: 'Dee Klein', email: 'dee@example.com', paymentMethod: 'tok_declined' },
];

export interface SeedTarget {
  doc: DynamoDBDocumentClient;
  tableName: (key: 'catalog' | 'customers' | 'inventory') => string;
}

async function putAll(doc: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let request: Record<string, any> | undefined = { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > 5) throw new Error(`could not seed ${table}: unprocessed items remain`);
      const res: { UnprocessedItems?: Record<string, any> } = await doc.send(new BatchWriteCommand({ RequestItems: request }));
      request = res.UnprocessedItems;
    }
  }
}

export async function seedDemoData(target: SeedTarget): Promise<{ merchants: number; products: number; customers: number }> {
  await putAll(target.doc, target.tableName('catalog'), [...MERCHANTS.map(merchantItem), ...PRODUCTS.map((x) => productItem(x.product))]);
  await putAll(
    target.doc,
    target.tableName('inventory'),
    PRODUCTS.map((x) => ({
      pk: `PRODUCT#${x.product.productId}`,
      sk: 'STOCK',
      productId: x.product.productId,
      available: x.stock,
      reserved: 0,
    })),
  );
  await putAll(target.doc, target.tableName('customers'), CUSTOMERS.map(customerItem));
  return { merchants: MERCHANTS.length, products: PRODUCTS.length, customers: CUSTOMERS.length };
}
