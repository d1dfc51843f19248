/**
 * `npm start`: the whole platform on this machine (no Docker, no AWS account), seeded with the demo data.
 * PORT sets the API port (default 3000). Function logs go to .offline/logs/<function>.log.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { seedDemoData } from '../scripts/seed-data';
import { startPlatform } from './platform';

const command = process.argv[2] ?? 'start';
if (command !== 'start') {
  console.error(`usage: tsx offline/cli.ts start`);
  process.exit(2);
}

const started = Date.now();
const platform = await startPlatform({ port: Number(process.env.PORT ?? 3000), logs: 'file' });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: platform.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } }));
const seeded = await seedDemoData({
  doc,
  tableName: (key) => platform.tableName({ catalog: 'DataCatalog', customers: 'DataCustomers', inventory: 'DataInventory' }[key]),
});
const api = platform.apiUrl;
console.log(`ShopWave offline is up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${api}
  seeded ${seeded.merchants} merchants, ${seeded.products} products, ${seeded.customers} customers; function logs in .offline/logs/

  curl -s ${api}/products?merchantId=m-pizza
  curl -s -X POST ${api}/orders -H 'content-type: application/json' \\
    -d '{"customerId":"c-alice","merchantId":"m-pizza","items":[{"productId":"p-margherita","quantity":2}]}'
  curl -s ${api}/orders/<orderId>

Ctrl-C stops it.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    await platform.stop();
    process.exit(0);
  });
}
