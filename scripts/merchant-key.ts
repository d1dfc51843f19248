/**
 * Creates an API key for one merchant's tablet routes (GET /merchants/{id}/orders, acknowledge, reject) and prints
 * it — the only time it exists in clear: the restaurant table keeps a SHA-256 of its secret. Or revokes one.
 *   npm run merchant-key -- m-pizza                      # offline, against the running `npm start`
 *   npm run merchant-key -- m-pizza --stack ShopWave     # a deployed stack (its RestaurantTableName output)
 *   npm run merchant-key -- --revoke <keyId or key>      # the key's id is its public part, mk_<keyId>_…, and is
 *                                                        # logged as merchantKeyId on every call it makes
 * Rotation: create the new key, move the tablet to it, revoke the old one.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ENDPOINTS_FILE } from '../tools/offline-dir';
import { createMerchantKey, revokeMerchantKey } from '../functions/restaurant/merchant-keys';

const { positionals, values } = parseArgs({ options: { stack: { type: 'string' }, revoke: { type: 'string' } }, allowPositionals: true });
const [merchantId] = positionals;
if (values.revoke ? positionals.length > 0 : !merchantId || !/^[A-Za-z0-9_-]{1,64}$/.test(merchantId)) {
  console.error(
    'usage: npm run merchant-key -- <merchantId> [--stack ShopWave]\n       npm run merchant-key -- --revoke <keyId or key> [--stack ShopWave]',
  );
  process.exit(2);
}

let doc: DynamoDBDocumentClient;
let table: string;
if (!values.stack && existsSync(ENDPOINTS_FILE)) {
  const endpoints = JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as { dynamodb: string; restaurantTable: string };
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
    }),
  );
  table = endpoints.restaurantTable;
} else {
  const stack = values.stack ?? 'ShopWave';
  const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack }));
  const output = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'RestaurantTableName')?.OutputValue;
  if (!output) throw new Error(`stack ${stack} has no RestaurantTableName output`);
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  table = output;
}
if (values.revoke) {
  const revokedFor = await revokeMerchantKey(doc, table, values.revoke);
  if (!revokedFor) {
    console.error('no such key: nothing revoked');
    process.exit(1);
  }
  console.error(`revoked the key of merchant ${revokedFor}: its next request is a 401`);
} else {
  console.log(await createMerchantKey(doc, table, merchantId));
}
