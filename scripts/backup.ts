/**
 * The restore drill (docs/runbooks/restore.md; seed 003): one consolidated file of every table, a restore into a
 * fresh platform, and a comparison per table (item counts and checksums). What each step does: tools/backup/drill.ts.
 *   npm run backup -- export [--out F]                 every table of the running `npm start` into one file
 *   npm run backup -- restore <file> [--include-streamed]   into the running platform's tables (start a fresh one)
 *   npm run backup -- verify <file>                    item counts and checksums per table; exit 1 on a difference
 * `--stack <name>` works on a deployed stack instead (its AWS::DynamoDB::Table resources, the usual AWS credentials,
 * or LocalStack with AWS_ENDPOINT_URL=http://localhost:4566); on AWS the daily backups are AWS Backup's and point-in-time
 * recovery's, and this is the drill's file format only. `--endpoints <file>`: another offline platform's endpoints file.
 * `--only DataOrders[,…]` limits a command to those tables (logical id prefixes); `--table DataOrders=<name>` reads or
 * writes another physical table in that one's place (a point-in-time restore's new table; docs/runbooks/restore.md).
 */
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BackupTable,
  exportTables,
  pickTables,
  readBackup,
  restoreTables,
  selectTables,
  verifyTables,
  writeBackup,
} from '../tools/backup/drill';

const ROOT = path.resolve(import.meta.dirname, '..');
const USAGE =
  'usage: npm run backup -- export [--out F] | restore <file> [--include-streamed] | verify <file> [--include-streamed]  [--stack S | --endpoints F] [--only T,…] [--table T=name]';

const OPTIONS = {
  out: { type: 'string' },
  stack: { type: 'string' },
  endpoints: { type: 'string' },
  'include-streamed': { type: 'boolean' },
  only: { type: 'string' },
  table: { type: 'string', multiple: true },
} as const;
let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
try {
  parsed = parseArgs({ options: OPTIONS, allowPositionals: true });
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { positionals, values } = parsed;
const [command, file] = positionals;
if (
  !['export', 'restore', 'verify'].includes(command ?? '') ||
  (command !== 'export' && !file) ||
  positionals.length > (command === 'export' ? 1 : 2)
) {
  console.error(USAGE);
  process.exit(2);
}

async function target(): Promise<{ client: DynamoDBClient; tables: BackupTable[]; source: string }> {
  if (values.stack) {
    const tables: BackupTable[] = [];
    for await (const page of paginateListStackResources({ client: new CloudFormationClient({}) }, { StackName: values.stack }))
      for (const r of page.StackResourceSummaries ?? [])
        if (r.ResourceType === 'AWS::DynamoDB::Table' && r.PhysicalResourceId)
          tables.push({ logicalId: r.LogicalResourceId!, tableName: r.PhysicalResourceId });
    return { client: new DynamoDBClient({}), tables, source: values.stack };
  }
  const endpointsFile = values.endpoints ?? path.join(ROOT, '.offline', 'endpoints.json');
  if (!existsSync(endpointsFile)) {
    console.error(`${endpointsFile} not found: start the platform (npm start), or name a deployed stack with --stack`);
    process.exit(2);
  }
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as { dynamodb: string; tables?: Record<string, string> };
  if (!endpoints.tables) {
    console.error(`${endpointsFile} lists no tables: restart npm start`);
    process.exit(2);
  }
  const client = new DynamoDBClient({
    endpoint: endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
  });
  return {
    client,
    tables: Object.entries(endpoints.tables).map(([logicalId, tableName]) => ({ logicalId, tableName })),
    source: 'offline',
  };
}

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const resolved = await target();
const { client, source } = resolved;
const renames = Object.fromEntries(
  (values.table ?? []).map((spec) => {
    const [prefix, name] = spec.split('=');
    if (!prefix || !name) {
      console.error(`--table wants <logical id prefix>=<table name>, got '${spec}'\n${USAGE}`);
      process.exit(2);
    }
    return [prefix, name];
  }),
);
let tables: BackupTable[];
try {
  tables = selectTables(resolved.tables, values.only?.split(',').filter(Boolean), renames);
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (command === 'export') {
  const out =
    values.out ??
    path.join(ROOT, '.offline', 'backups', `shopwave-${source}-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}.jsonl.gz`);
  const backup = await exportTables(client, tables, source);
  writeBackup(out, backup);
  for (const t of backup.manifest.tables)
    console.log(
      `${t.logicalId.padEnd(28)} ${String(t.count).padStart(6)} items  sha256 ${t.sha256.slice(0, 16)}${t.streamed ? '  (streamed)' : ''}`,
    );
  console.log(
    `exported ${backup.manifest.tables.reduce((n, t) => n + t.count, 0)} items of ${tables.length} tables to ${out} in ${seconds()}`,
  );
} else {
  const whole = readBackup(file);
  const backup = values.only
    ? pickTables(
        whole,
        tables.map((t) => t.logicalId),
      )
    : whole;
  const includeStreamed = values['include-streamed'];
  if (command === 'restore') {
    const results = await restoreTables(client, backup, tables, { includeStreamed });
    for (const r of results)
      console.log(`${r.logicalId.padEnd(28)} ${r.skipped ? `not restored: ${r.skipped}` : `${r.written} items written`}`);
    console.log(
      `restored ${results.reduce((n, r) => n + r.written, 0)} items into ${results.filter((r) => !r.skipped).length} tables in ${seconds()}; now: npm run backup -- verify ${file}`,
    );
  } else {
    const results = await verifyTables(client, backup, tables, { includeStreamed });
    for (const r of results) {
      const state = r.notRestored ? 'not restored (streamed)' : r.ok ? 'ok' : 'DIFFERS';
      console.log(`${r.logicalId.padEnd(28)} ${state.padEnd(24)} backup ${r.expected.count} items, now ${r.actual.count}`);
      for (const d of r.differences) console.log(`    ${d}`);
    }
    const bad = results.filter((r) => !r.ok);
    console.log(
      bad.length
        ? `${bad.length} of ${results.length} tables differ from the backup (${seconds()})`
        : `every table matches the backup (${seconds()})`,
    );
    process.exit(bad.length ? 1 : 0);
  }
}
