/**
 * Seeds the demo data into a deployed stack (AWS or LocalStack). Table names are the stack outputs:
 *   CATALOG_TABLE_NAME=… CUSTOMERS_TABLE_NAME=… INVENTORY_TABLE_NAME=… npx tsx scripts/seed.ts
 * (for LocalStack also AWS_ENDPOINT_URL=http://localhost:4566). Offline, `npm start` seeds by itself.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requireEnv } from '../functions/shared/env';
import { seedDemoData } from '../tools/seed-data';

const names = {
  catalog: requireEnv('CATALOG_TABLE_NAME'),
  customers: requireEnv('CUSTOMERS_TABLE_NAME'),
  inventory: requireEnv('INVENTORY_TABLE_NAME'),
};
const counts = await seedDemoData({ doc: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: (key) => names[key] });
console.log('seeded', counts);
