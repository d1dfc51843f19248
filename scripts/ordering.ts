/**
 * The ordering switch (docs/runbooks/lost-orders.md, seed 001's read-only mode): stop or resume taking orders, for
 * everyone or one merchant, while menus, search, order status and tracking keep working. Takes effect within the
 * orders API's 5 s cache; every change is logged here and every refused order is counted by the API. What each
 * command does to the switch is tools/ordering-switch.ts.
 *   npm run ordering -- status
 *   npm run ordering -- read-only | open
 *   npm run ordering -- pause <merchantId> | resume <merchantId>
 * Offline (`npm start` running) it talks to the offline SSM; `--stack <name>` (default ShopWave) targets a
 * deployed stack with the usual AWS credentials (or LocalStack with AWS_ENDPOINT_URL=http://localhost:4566).
 */
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ENDPOINTS_FILE } from '../tools/offline-dir';
import { OrderingStateSchema } from '../functions/shared/ordering-state';
import { applyCommand, describeState } from '../tools/ordering-switch';

const { positionals, values } = parseArgs({ options: { stack: { type: 'string' }, offline: { type: 'boolean' } }, allowPositionals: true });
const [command = 'status', merchantId] = positionals;
const valid =
  ['status', 'read-only', 'open', 'pause', 'resume'].includes(command) &&
  (!['pause', 'resume'].includes(command) || /^[A-Za-z0-9_-]{1,64}$/.test(merchantId ?? ''));
if (!valid) {
  console.error(
    'usage: npm run ordering -- status | read-only | open | pause <merchantId> | resume <merchantId> [--stack ShopWave] [--offline]',
  );
  process.exit(2);
}
// Offline when `npm start` is running (it writes its endpoints) and no stack was named.
const offline = values.offline || (!values.stack && existsSync(ENDPOINTS_FILE));
const endpoints = offline ? (JSON.parse(readFileSync(ENDPOINTS_FILE, 'utf8')) as { ssm: string; orderingParameter: string }) : undefined;
const ssm = new SSMClient(
  endpoints ? { endpoint: endpoints.ssm, region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } } : {},
);
const name = endpoints?.orderingParameter ?? `/${values.stack ?? 'ShopWave'}/ordering`;

const current = OrderingStateSchema.parse(JSON.parse((await ssm.send(new GetParameterCommand({ Name: name }))).Parameter!.Value!));
if (command === 'status') {
  console.log(`${name} (${offline ? 'offline' : 'AWS'}): ${describeState(current)}`);
} else {
  const next = applyCommand(current, command, merchantId);
  await ssm.send(new PutParameterCommand({ Name: name, Value: JSON.stringify(next), Type: 'String', Overwrite: true }));
  console.log(`${new Date().toISOString()} ${name}: ${describeState(next)} (the API applies it within 5 s)`);
}
