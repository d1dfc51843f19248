/**
 * `npm start`: the whole platform on this machine (no Docker, no AWS account), seeded with the demo data.
 *   npm start [-- --fault <name>] [--traffic <orders per minute>]
 * PORT sets the API port (default 3000). Function logs go to .offline/logs/<function>.log; the operations page is
 * at /ops. `--fault` injects a game-day scenario (tools/game-day/scenarios/), `--traffic` places demo orders.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SCENARIOS, scenarioNamed } from '../../tools/game-day/scenarios';
import { ENDPOINTS_FILE, OFFLINE_DIR } from '../../tools/offline-dir';
import { LogArchive } from '../runtime/log-archive';
import { seedDemoData } from '../../tools/seed-data';
import { endpointsOf, startPlatform, type Platform } from './platform';
import { startTraffic } from './traffic';

const USAGE = `usage: tsx offline/shopwave/cli.ts start [--fault ${SCENARIOS.map((s) => s.name).join('|')}] [--traffic <orders per minute>]`;
let args: ReturnType<
  typeof parseArgs<{ options: { fault: { type: 'string'; multiple: true }; traffic: { type: 'string' } }; allowPositionals: true }>
>;
try {
  args = parseArgs({ options: { fault: { type: 'string', multiple: true }, traffic: { type: 'string' } }, allowPositionals: true });
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const [command = 'start'] = args.positionals;
const faults = args.values.fault ?? [];
const trafficPerMinute = args.values.traffic === undefined ? 0 : Number(args.values.traffic);
const unknownFault = faults.find((f) => !SCENARIOS.some((s) => s.name === f));
// A traffic scenario's fault is its load, sent from a terminal: `npm run game-day -- inject <name>` once this is up.
const loadFault = faults.find((f) => SCENARIOS.find((s) => s.name === f)?.inject.load);
if (loadFault) {
  console.error(`'${loadFault}' injects traffic, not a fault: start without --fault, then npm run game-day -- inject ${loadFault}`);
  process.exit(2);
}
if (command !== 'start' || unknownFault || !Number.isFinite(trafficPerMinute) || trafficPerMinute < 0 || trafficPerMinute > 600) {
  console.error(unknownFault ? `unknown fault '${unknownFault}'\n${USAGE}` : USAGE);
  process.exit(2);
}

// Ctrl-C, SIGTERM, SIGHUP (the terminal closed) or a crash, at any moment, startup included: every child is stopped
// (DynamoDB Local, worker threads, the servers) before the process exits. Even a SIGKILL, which no handler sees,
// takes DynamoDB Local with it (its watchdog, offline/dynamodb-local.ts).
const endpointsFile = ENDPOINTS_FILE;
let platform: Platform | undefined;
// The local stand-in for the observability hub: every function log line is shipped to it over OTLP/HTTP, spooled
// on disk while it is unreachable (offline/runtime/log-shipper.ts, log-archive.ts; docs/observability.md, "Log shipping").
const archive = new LogArchive(path.join(OFFLINE_DIR, 'archive'), Number(process.env.LOG_ARCHIVE_PORT ?? 0));
let traffic: ReturnType<typeof startTraffic> | undefined;
let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (code === 0) console.log('stopping…');
  // A stop that hangs must not keep the terminal hostage; children still die with this process (watchdog).
  setTimeout(() => process.exit(code), 15_000).unref();
  traffic?.stop();
  rmSync(endpointsFile, { force: true });
  await platform?.stop().catch((err) => console.error(`stopping failed: ${(err as Error).message}`));
  await archive.stop();
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(0));
}
// A failed start or seed (a rejected top-level await lands here too) and any later crash.
process.on('uncaughtException', (err) => {
  console.error(`ShopWave offline crashed, stopping: ${err.stack ?? err}`);
  void shutdown(1);
});
process.on('unhandledRejection', (err) => {
  console.error(`ShopWave offline crashed (unhandled rejection), stopping: ${(err as Error)?.stack ?? err}`);
  void shutdown(1);
});

const started = Date.now();
await archive.start();
platform = await startPlatform({
  port: Number(process.env.PORT ?? 3000),
  logs: 'file',
  shipLogs: { url: archive.url, spoolDir: path.join(OFFLINE_DIR, 'log-spool') },
  // Into or out of ALARM only: the first evaluation moves every alarm from INSUFFICIENT_DATA to OK.
  onAlarm: (t) =>
    (t.to === 'ALARM' || t.from === 'ALARM') &&
    console.log(`${new Date(t.at).toLocaleTimeString()} alarm ${t.alarmName}: ${t.from} → ${t.to} (${t.reason})`),
});
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: platform.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
  }),
);
const seeded = await seedDemoData({
  doc,
  tableName: (key) => platform.tableName({ catalog: 'DataCatalog', customers: 'DataCustomers', inventory: 'DataInventory' }[key]),
});
const api = platform.apiUrl;
// Where the project's CLIs (npm run ordering) find this running platform; removed on stop.
mkdirSync(path.dirname(endpointsFile), { recursive: true });
writeFileSync(endpointsFile, JSON.stringify({ ...endpointsOf(platform), logArchive: archive.url }, null, 2));
console.log(`ShopWave offline is up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${api}
  seeded ${seeded.merchants} merchants, ${seeded.products} products, ${seeded.customers} customers; function logs in .offline/logs/,
  shipped over OTLP/HTTP to the local log archive .offline/archive/<day>/<function>.jsonl (${archive.url})

  curl -s ${api}/products?merchantId=m-pizza
  TOKEN=$(npm run -s token -- c-alice)      # a customer's bearer token (demo customers: c-alice, c-bob, c-declined)
  curl -s -X POST ${api}/orders -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"merchantId":"m-pizza","items":[{"productId":"p-margherita","quantity":2}]}'
  curl -s ${api}/orders/<orderId> -H "authorization: Bearer $TOKEN"
  KEY=$(npm run -s merchant-key -- m-silent)  # a merchant's API key: act for the tablet that never answers
  curl -s ${api}/merchants/m-silent/orders -H "x-api-key: $KEY"

  operations page (dashboards, alarms, DLQs, lost orders): ${api}/ops
  stop taking orders, keep the menus: npm run ordering -- read-only   (open | pause <merchantId> | resume <merchantId> | status)
${faults.map((f) => `  GAME DAY FAULT ON: ${f} — ${scenarioNamed(f).title}\n`).join('')}${trafficPerMinute ? `  placing ${trafficPerMinute} demo orders a minute\n` : ''}
Ctrl-C stops it.`);
if (faults.length) await platform.setFaults(faults);
const issuer = platform.issuer;
traffic = trafficPerMinute ? startTraffic(api, trafficPerMinute, { sign: (c) => issuer.sign(c) }) : undefined;
