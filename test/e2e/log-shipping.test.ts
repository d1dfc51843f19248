/**
 * Resilient log collection, offline (issue: the hub may be unreachable, and no data may be lost): the platform ships
 * every function log line over OTLP/HTTP to a local archive standing in for the hub. Orders flow; the archive is
 * stopped while more orders flow, then started again; the platform is stopped and a fresh shipper drains what was
 * left in its spool. Every function's archived lines are then exactly its log file's lines, in order: none lost,
 * none twice.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogArchive } from '../../offline/runtime/log-archive';
import { LogShipper } from '../../offline/runtime/log-shipper';
import { accessLogSource } from '../../offline/runtime/run-template';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const archive = new LogArchive(mkdtempSync(path.join(tmpdir(), 'hub-archive-')));
const spoolDir = mkdtempSync(path.join(tmpdir(), 'hub-spool-'));
let t: TestPlatform | undefined;
afterAll(async () => {
  await t?.stop();
  await archive.stop();
});

async function orders(n: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await t!.placeOrder(i % 2 ? 'c-bob' : 'c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 1 }]);
    expect(res.status).toBe(202);
    ids.push(res.body.orderId);
  }
  for (const id of ids) await t!.waitForStatus(id, 'DELIVERED', 60_000);
}

describe('log shipping to the local hub archive', () => {
  it('loses and duplicates no line when the archive is down for a while under traffic', async () => {
    await archive.start();
    t = await startTestPlatform({ timeScale: 1 / 60, shipLogs: { url: archive.url, spoolDir } });
    const shipper = t.platform.logShipper!;
    await orders(3);
    await archive.stop(); // the hub is unreachable
    await orders(4);
    const buffered = shipper.stats.pending;
    expect(buffered).toBeGreaterThan(0); // the lines of four orders wait on disk
    await archive.start();
    await shipper.drained(30_000);
    // Every function's lines, and the API stage's access log (one line per request), each in its own file.
    const functions = [
      ...t.platform.model.functions.map((f) => f.functionName),
      ...t.platform.model.restApis.filter((a) => a.accessLog).map((a) => accessLogSource(t!.platform.model, a)),
    ];
    await t.stop();
    t = undefined;
    // Lines written between the drain and the stop are still in the spool: a new shipper sends them.
    const after = new LogShipper({ url: archive.url, spoolDir, intervalMs: 20 });
    after.start();
    await after.drained(30_000);
    await after.stop();
    await archive.stop();

    const archived = archive.read();
    let total = 0;
    for (const fn of functions) {
      const file = path.join(ROOT, '.offline', 'logs', `${fn}.log`);
      const written = existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(0, -1) : [];
      const shipped = archived.filter((l) => l.service === fn).map((l) => l.line);
      expect(shipped, fn).toEqual(written);
      total += written.length;
    }
    const seqs = archived.map((l) => l.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Besides the functions, the runtime's own channels (alarm transitions, `alarms`; event source pollers, `pollers`) is shipped too; its log file is
    // shared by every test platform, so it is checked for duplicates only (the sequence numbers above).
    const others = archived.filter((l) => !functions.includes(l.service));
    expect([...new Set(others.map((l) => l.service))].every((s) => ['alarms', 'pollers'].includes(s))).toBe(true);
    expect(total).toBe(archived.length - others.length);
    console.log(
      `${total} lines written by ${functions.length} functions and access logs, ${archived.length} archived, ${archive.stats.duplicatesDropped} copies dropped, ` +
        `${buffered} buffered while the archive was down (${shipper.stats.failedAttempts} failed attempts)`,
    );
  }, 240_000);
});
