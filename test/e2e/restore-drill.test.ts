/**
 * The restore drill (seed 003; docs/runbooks/restore.md), as an operator runs it: orders flow on platform A,
 * `npm run backup -- export` writes every table into one file, a fresh platform B gets `restore`, `verify` finds every
 * table equal, the old orders read back through B's API as they were, a new order flows on the restored data (stock
 * taken from the restored level), and `verify` then names the table that moved on.
 */
import { spawnSync } from 'node:child_process';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBackup } from '../../tools/backup/drill';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'restore-drill-'));
const backupFile = path.join(dir, 'shopwave-backup.jsonl.gz');
let a: TestPlatform;
let b: TestPlatform | undefined;

/** An endpoints file like the one `npm start` writes, for a test platform. */
function endpointsOf(t: TestPlatform, name: string): string {
  const file = path.join(dir, `${name}.json`);
  const tables = Object.fromEntries(t.platform.model.tables.map((x) => [x.logicalId, x.tableName]));
  writeFileSync(file, JSON.stringify({ dynamodb: t.platform.endpoints.dynamodb, tables }));
  return file;
}

const backup = (...argv: string[]) => {
  const started = Date.now();
  const res = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/backup.ts', ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { ...res, seconds: (Date.now() - started) / 1000 };
};

const stockOf = async (t: TestPlatform, productId: string) =>
  (await t.doc.send(new GetCommand({ TableName: t.table('DataInventory'), Key: { pk: `PRODUCT#${productId}`, sk: 'STOCK' } }))).Item;

const orderIds: Record<string, string> = {};

beforeAll(async () => {
  a = await startTestPlatform({ timeScale: 1 / 60 });
  const placed = await a.placeOrder('c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 3 }]);
  const declined = await a.placeOrder('c-declined', 'm-pizza', [{ productId: 'p-margherita', quantity: 1 }]);
  expect([placed.status, declined.status]).toEqual([202, 202]);
  orderIds.delivered = placed.body.orderId;
  orderIds.declined = declined.body.orderId;
  await a.waitForStatus(orderIds.delivered, 'DELIVERED', 60_000);
  await a.waitForStatus(orderIds.declined, 'PAYMENT_FAILED', 60_000);
  // Let the last consumers (notifications, analytics) finish: the backup is of a platform at rest.
  await new Promise((r) => setTimeout(r, 3000));
}, 180_000);
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

describe('restore drill: export, restore into a fresh platform, verify', () => {
  it('export writes every table of the template into one file, with counts and checksums', async () => {
    const res = backup('export', '--endpoints', endpointsOf(a, 'a'), '--out', backupFile);
    expect(res.status, res.stderr).toBe(0);
    const { manifest, items } = readBackup(backupFile);
    expect(manifest.tables.map((t) => t.logicalId).sort()).toEqual(a.platform.model.tables.map((t) => t.logicalId).sort());
    const count = (prefix: string) => manifest.tables.find((t) => t.logicalId.startsWith(prefix))!.count;
    expect(count('DataOrders')).toBeGreaterThanOrEqual(2);
    expect(count('DataCatalog')).toBeGreaterThan(0);
    expect(count('DataOutbox')).toBeGreaterThan(0);
    expect(manifest.tables.filter((t) => t.streamed).map((t) => t.logicalId)).toEqual([expect.stringMatching(/^DataOutbox/)]);
    expect([...items.values()].flat().length).toBe(manifest.tables.reduce((n, t) => n + t.count, 0));
    console.log(`export: ${res.seconds.toFixed(1)} s\n${res.stdout}`);
  });

  it('restore loads it into a fresh platform, and verify finds every table equal', async () => {
    b = await startTestPlatform({ timeScale: 1 / 60 });
    const endpoints = endpointsOf(b, 'b');
    const restored = backup('restore', backupFile, '--endpoints', endpoints);
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/DataOutbox\S* +not restored: has a stream/);
    const verified = backup('verify', backupFile, '--endpoints', endpoints);
    expect(verified.status, verified.stdout).toBe(0);
    expect(verified.stdout).toContain('every table matches the backup');
    expect(verified.stdout).toMatch(/DataOrders\S* +ok/);
    console.log(
      `restore: ${restored.seconds.toFixed(1)} s, verify: ${verified.seconds.toFixed(1)} s\n${restored.stdout}${verified.stdout}`,
    );
  }, 180_000);

  it('the restored orders read as they were, and a new order flows on the restored data', async () => {
    const before = (await a.readOrder(orderIds.delivered)).body;
    const after = await b!.readOrder(orderIds.delivered);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before);
    expect((await b!.readOrder(orderIds.declined)).body.status).toBe('PAYMENT_FAILED');

    // B's seed started the stock at its demo level; the restore put back A's, three pizzas fewer.
    const restoredStock = await stockOf(b!, 'p-margherita');
    expect(restoredStock).toEqual(await stockOf(a, 'p-margherita'));
    const next = await b!.placeOrder('c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 2 }]);
    expect(next.status).toBe(202);
    await b!.waitForStatus(next.body.orderId, 'DELIVERED', 60_000);
    expect((await stockOf(b!, 'p-margherita'))!.available).toBe(restoredStock!.available - 2);
    const mine = await b!.api('GET', '/orders?limit=10', undefined, await b!.as('c-alice'));
    expect(mine.body.items.map((o: any) => o.orderId)).toEqual(expect.arrayContaining([orderIds.delivered, next.body.orderId]));
  }, 120_000);

  it('verify names the tables that differ from the backup, and exits 1', () => {
    const res = backup('verify', backupFile, '--endpoints', endpointsOf(b!, 'b'));
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/DataOrders\S* +DIFFERS +backup \d+ items, now \d+/);
    expect(res.stdout).toMatch(/not in the backup: .*ORDER#/);
    expect(res.stdout).toMatch(/tables differ from the backup/);
  });

  it('restores one table from the whole file (--only), leaving the others as they are', () => {
    const endpoints = endpointsOf(b!, 'b');
    const restored = backup('restore', backupFile, '--endpoints', endpoints, '--only', 'DataInventory');
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/restored 22 items into 1 tables/);
    // A restore writes the backup's items back and deletes nothing: every item of the backup is as it was, and the
    // new order's reservation, made after the backup, is still there (and named).
    const verified = backup('verify', backupFile, '--endpoints', endpoints, '--only', 'DataInventory');
    console.log(verified.stdout);
    expect(verified.stdout).not.toMatch(/missing or changed/);
    expect(verified.stdout).toMatch(/not in the backup: /);
  });

  it('refuses a usage error with exit 2', () => {
    expect(backup('restore').status).toBe(2);
    expect(backup('rewind', backupFile).status).toBe(2);
    expect(backup('verify', backupFile, '--endpoints', endpointsOf(b!, 'b'), '--only', 'DataNope').stderr).toMatch(
      /'DataNope' must name exactly one table/,
    );
  });
});
