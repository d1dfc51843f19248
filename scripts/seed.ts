/**
 * Seeds the demo data into a deployed stack (AWS or LocalStack):
 *   npm run seed -- --stack ShopWave            # table names from the stack's outputs
 *   CATALOG_TABLE_NAME=… CUSTOMERS_TABLE_NAME=… INVENTORY_TABLE_NAME=… npm run seed
 * (for LocalStack also AWS_ENDPOINT_URL=http://localhost:4566). Offline, `npm start` seeds by itself. Seeding puts
 * every demo item again: menus and customers as they were, stock back at its demo level.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { requireEnv } from '../functions/shared/env';
import { seedDemoData } from '../tools/seed-data';
import { stackOutputs } from '../tools/stack-outputs';

const { values } = parseArgs({ options: { stack: { type: 'string' } } });
let names: Record<'catalog' | 'customers' | 'inventory', string>;
if (values.stack) {
  const outputs = await stackOutputs(values.stack);
  const output = (key: string) => {
    if (!outputs[key]) throw new Error(`stack ${values.stack} has no ${key} output`);
    return outputs[key];
  };
  names = { catalog: output('CatalogTableName'), customers: output('CustomersTableName'), inventory: output('InventoryTableName') };
} else {
  names = {
    catalog: requireEnv('CATALOG_TABLE_NAME'),
    customers: requireEnv('CUSTOMERS_TABLE_NAME'),
    inventory: requireEnv('INVENTORY_TABLE_NAME'),
  };
}
const counts = await seedDemoData({ doc: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: (key) => names[key] });
console.log('seeded', counts);
