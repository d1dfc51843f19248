/**
 * Creates an API key for one merchant's tablet routes (GET /merchants/{id}/orders, acknowledge, reject) and prints
 * it — the only time it exists in clear: the restaurant table keeps a SHA-256 of its secret.
 *   npm run merchant-key -- m-pizza                      # offline, against the running `npm start`
 *   npm run merchant-key -- m-pizza --stack ShopWave     # a deployed stack (its RestaurantTableName output)
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createMerchantKey } from '../functions/restaurant/merchant-keys';

const ENDPOINTS_FILE = path.join(import.meta.dirname, '..', '.offline', 'endpoints.json');
const { positionals, values } = parseArgs({ options: { stack: { type: 'string' } }, allowPositionals: true });
const [merchantId] = positionals;
if (!merchantId || !/^[A-Za-z0-9_-]{1,64}$/.test(merchantId)) {
  console.error('usage: npm run merchant-key -- <merchantId> [--stack ShopWave]');
  process.exit(2);
}

let doc: DynamoDBDocumentClient;
let table: string;
if (!values.stack && existsSync(ENDPOINTS_FILE)) {
  const endpoints = JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as { dynamodb: string; restaurantTable: string };
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } }));
  table = endpoints.restaurantTable;
} else {
  const stack = values.stack ?? 'ShopWave';
  const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack }));
  const output = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'RestaurantTableName')?.OutputValue;
  if (!output) throw new Error(`stack ${stack} has no RestaurantTableName output`);
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  table = output;
}
console.log(await createMerchantKey(doc, table, merchantId));
