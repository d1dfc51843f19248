/**
 * The restore drill (seed 003; docs/runbooks/restore.md): every table of a platform into one consolidated file,
 * loaded into a fresh platform, and compared item by item. The file is one gzip'd JSON-lines object, written once:
 * the "one upload a day" shape of seed 003 (a daily export consolidates the day; nothing is appended later).
 *
 * Items are kept as DynamoDB AttributeValues (no marshalling), so types survive exactly (numbers as their strings,
 * sets, binary). A table's checksum is a SHA-256 over its items in canonical form, sorted: equal checksums mean
 * equal contents whatever order a scan returns them in.
 *
 * Tables with a stream are exported and verified but not restored by default: writing their rows back would emit
 * stream records and re-run what the stream feeds (the outbox relay would publish every event again). A restore on
 * AWS (point-in-time or from a backup) creates a table without a stream, which has the same effect as skipping.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export type Item = Record<string, AttributeValue>;

/** A table of the platform: its logical id in the template (the same on every platform) and its physical name here. */
export interface BackupTable {
  logicalId: string;
  tableName: string;
}

export interface TableSummary {
  logicalId: string;
  tableName: string;
  count: number;
  sha256: string;
  streamed: boolean;
}

export interface BackupManifest {
  format: 'shopwave-backup/1';
  createdAt: string;
  source: string;
  tables: TableSummary[];
}

export interface Backup {
  manifest: BackupManifest;
  items: Map<string, Item[]>;
}

// Scans are paged; a table beyond this many pages is not what this drill is for (use the AWS export, see the runbook).
const MAX_PAGES = 10_000;
const BATCH = 25; // BatchWriteItem's limit
const MAX_WRITE_ATTEMPTS = 8;

/** Canonical JSON: object keys sorted, set members sorted, so the same item always serializes the same. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries
      .map(([k, v]) => {
        // String, number and binary sets are unordered in DynamoDB: sort their members.
        const member = ['SS', 'NS', 'BS'].includes(k) && Array.isArray(v) ? v.map(canonical).sort() : undefined;
        return `${JSON.stringify(k)}:${member ? `[${member.join(',')}]` : canonical(v)}`;
      })
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function checksum(items: Item[]): string {
  const hash = createHash('sha256');
  for (const line of items.map(canonical).sort()) hash.update(line).update('\n');
  return hash.digest('hex');
}

export async function scanAll(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
    items.push(...(res.Items ?? []));
    ExclusiveStartKey = res.LastEvaluatedKey;
    if (!ExclusiveStartKey) return items;
  }
  throw new Error(`${tableName}: more than ${MAX_PAGES} scan pages; too big for this drill`);
}

async function isStreamed(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return Table?.StreamSpecification?.StreamEnabled === true;
}

async function summarize(client: DynamoDBClient, table: BackupTable, items: Item[]): Promise<TableSummary> {
  return { ...table, count: items.length, sha256: checksum(items), streamed: await isStreamed(client, table.tableName) };
}

export async function exportTables(client: DynamoDBClient, tables: BackupTable[], source: string): Promise<Backup> {
  const items = new Map<string, Item[]>();
  const summaries: TableSummary[] = [];
  for (const table of tables) {
    const rows = await scanAll(client, table.tableName);
    items.set(table.logicalId, rows);
    summaries.push(await summarize(client, table, rows));
  }
  return { manifest: { format: 'shopwave-backup/1', createdAt: new Date().toISOString(), source, tables: summaries }, items };
}

/** One file: the manifest on the first line, then one `{table, item}` per line; gzip'd. */
export function writeBackup(file: string, backup: Backup): void {
  const lines = [JSON.stringify(backup.manifest)];
  for (const [table, rows] of backup.items) for (const item of rows) lines.push(JSON.stringify({ table, item }));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
}

export function readBackup(file: string): Backup {
  const [head, ...rest] = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean);
  const manifest = JSON.parse(head) as BackupManifest;
  if (manifest.format !== 'shopwave-backup/1') throw new Error(`${file}: not a ShopWave backup (format ${manifest.format})`);
  const items = new Map<string, Item[]>(manifest.tables.map((t) => [t.logicalId, []]));
  for (const line of rest) {
    const { table, item } = JSON.parse(line) as { table: string; item: Item };
    const rows = items.get(table);
    if (!rows) throw new Error(`${file}: an item of table ${table}, which the manifest does not list`);
    rows.push(item);
  }
  // A file cut short or edited is refused before anything is written.
  for (const t of manifest.tables) {
    const rows = items.get(t.logicalId) ?? [];
    if (rows.length !== t.count || checksum(rows) !== t.sha256)
      throw new Error(`${file}: table ${t.logicalId} does not match its manifest (${rows.length} of ${t.count} items, or a changed item)`);
  }
  return { manifest, items };
}

/**
 * The tables a command works on: `only` keeps those whose logical id starts with one of the prefixes; `rename`
 * points one of them at another physical table (a point-in-time restore's new table, docs/runbooks/restore.md).
 */
export function selectTables(tables: BackupTable[], only: string[] = [], rename: Record<string, string> = {}): BackupTable[] {
  const matches = (id: string, prefix: string) => id.startsWith(prefix);
  for (const prefix of [...only, ...Object.keys(rename)])
    if (tables.filter((t) => matches(t.logicalId, prefix)).length !== 1)
      throw new Error(`'${prefix}' must name exactly one table: ${tables.map((t) => t.logicalId).join(', ')}`);
  return tables
    .filter((t) => !only.length || only.some((p) => matches(t.logicalId, p)))
    .map((t) => {
      const renamed = Object.entries(rename).find(([p]) => matches(t.logicalId, p));
      return renamed ? { ...t, tableName: renamed[1] } : t;
    });
}

/** The part of a backup that covers these tables (a restore of one table from a whole-platform file). */
export function pickTables(backup: Backup, logicalIds: string[]): Backup {
  const tables = backup.manifest.tables.filter((t) => logicalIds.includes(t.logicalId));
  return {
    manifest: { ...backup.manifest, tables },
    items: new Map(tables.map((t) => [t.logicalId, backup.items.get(t.logicalId) ?? []])),
  };
}

/** Matches the backup's tables to the target's by logical id; a table missing on either side is an error. */
function pair(backup: Backup, target: BackupTable[]): { summary: TableSummary; target: BackupTable }[] {
  const byId = new Map(target.map((t) => [t.logicalId, t]));
  const missing = backup.manifest.tables.filter((t) => !byId.has(t.logicalId)).map((t) => t.logicalId);
  const extra = target.filter((t) => !backup.manifest.tables.some((b) => b.logicalId === t.logicalId)).map((t) => t.logicalId);
  if (missing.length || extra.length)
    throw new Error(
      `the backup and the target have different tables: ${[...missing.map((m) => `${m} not on the target`), ...extra.map((e) => `${e} not in the backup`)].join(', ')}`,
    );
  return backup.manifest.tables.map((summary) => ({ summary, target: byId.get(summary.logicalId)! }));
}

async function writeAll(client: DynamoDBClient, tableName: string, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    let requests = items.slice(i, i + BATCH).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length; attempt++) {
      if (attempt > MAX_WRITE_ATTEMPTS)
        throw new Error(`${tableName}: ${requests.length} items still unprocessed after ${MAX_WRITE_ATTEMPTS} attempts`);
      const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      requests = (res.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      if (requests.length) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt)); // throttled: back off
    }
  }
}

export interface RestoreResult {
  logicalId: string;
  tableName: string;
  written: number;
  /** Why the table was not restored (a streamed table), when it was not. */
  skipped?: string;
}

export async function restoreTables(
  client: DynamoDBClient,
  backup: Backup,
  target: BackupTable[],
  options: { includeStreamed?: boolean } = {},
): Promise<RestoreResult[]> {
  const results: RestoreResult[] = [];
  for (const { summary, target: table } of pair(backup, target)) {
    if (summary.streamed && !options.includeStreamed) {
      results.push({ ...table, written: 0, skipped: 'has a stream: writing its rows would re-run what the stream feeds' });
      continue;
    }
    const rows = backup.items.get(summary.logicalId) ?? [];
    await writeAll(client, table.tableName, rows);
    results.push({ ...table, written: rows.length });
  }
  return results;
}

export interface VerifyResult {
  logicalId: string;
  tableName: string;
  expected: { count: number; sha256: string };
  actual: { count: number; sha256: string };
  ok: boolean;
  /** Set for a streamed table that was not restored: it is reported, not judged. */
  notRestored?: boolean;
  /** Up to five keys of items that differ, for the operator to look at. */
  differences: string[];
}

/** Compares every table of the target with the backup: item counts and checksums, and which items differ. */
export async function verifyTables(
  client: DynamoDBClient,
  backup: Backup,
  target: BackupTable[],
  options: { includeStreamed?: boolean } = {},
): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const { summary, target: table } of pair(backup, target)) {
    const rows = await scanAll(client, table.tableName);
    const actual = { count: rows.length, sha256: checksum(rows) };
    const notRestored = summary.streamed && !options.includeStreamed;
    const expectedLines = new Set((backup.items.get(summary.logicalId) ?? []).map(canonical));
    const actualLines = new Set(rows.map(canonical));
    const differences = [
      ...[...expectedLines].filter((l) => !actualLines.has(l)).map((l) => `missing or changed: ${l.slice(0, 160)}`),
      ...[...actualLines].filter((l) => !expectedLines.has(l)).map((l) => `not in the backup: ${l.slice(0, 160)}`),
    ].slice(0, 5);
    results.push({
      ...table,
      expected: { count: summary.count, sha256: summary.sha256 },
      actual,
      ok: notRestored || actual.sha256 === summary.sha256,
      ...(notRestored ? { notRestored: true } : {}),
      differences: notRestored ? [] : differences,
    });
  }
  return results;
}
