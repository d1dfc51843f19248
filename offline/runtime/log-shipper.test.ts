/**
 * The log shipper and the local archive standing in for the hub: under a steady stream of lines the archive is
 * stopped for a while and started again; every line arrives exactly once and in order. Also: an answer lost after
 * the archive stored a batch (the shipper sends it again; the archive drops the copy), and a shipper restarted on its
 * spool (it goes on where it was acknowledged, with no line sent twice or skipped).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogArchive } from './log-archive';
import { LogShipper } from './log-shipper';

const tmp = (name: string) => mkdtempSync(path.join(tmpdir(), `${name}-`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ships `count` lines, `perTick` every 10 ms, over two functions; calls `during(i)` as it goes. */
async function traffic(shipper: LogShipper, count: number, perTick: number, during: (i: number) => Promise<void> | void = () => {}) {
  for (let i = 0; i < count; ) {
    for (let k = 0; k < perTick && i < count; k++, i++) shipper.ship(i % 2 ? 'OrdersApi' : 'PaymentsConsumer', 'stdout', `line ${i}`);
    await during(i);
    await sleep(10);
  }
}

const seqsOf = (archive: LogArchive, shipper: string) =>
  archive
    .read()
    .filter((l) => l.shipper === shipper)
    .map((l) => l.seq);

describe('log shipping to an archive that goes away', () => {
  it('loses and duplicates nothing while the archive is down for a while under traffic', async () => {
    const archive = new LogArchive(tmp('archive'));
    await archive.start();
    const shipper = new LogShipper({ url: archive.url, spoolDir: tmp('spool'), intervalMs: 20, maxBackoffMs: 200, maxBatch: 100 });
    shipper.start();
    let pendingWhileDown = 0;
    const started = Date.now();
    await traffic(shipper, 3000, 20, async (i) => {
      if (i === 600) await archive.stop(); // the hub becomes unreachable
      if (i === 2000) {
        pendingWhileDown = shipper.stats.pending;
        await archive.start(); // and comes back, on the same address
      }
    });
    await shipper.drained(20_000);
    await shipper.stop();
    await archive.stop();

    const lines = archive.read().filter((l) => l.shipper === shipper.shipperId);
    console.log(
      `sent 3000 lines in ${Date.now() - started} ms; archive down for lines 600–2000, ${pendingWhileDown} buffered on disk; ` +
        `${shipper.stats.failedAttempts} failed attempts; stored ${archive.stats.stored}, duplicates dropped ${archive.stats.duplicatesDropped}`,
    );
    expect(pendingWhileDown).toBeGreaterThanOrEqual(1000); // it really was down, and the lines waited on disk
    expect(shipper.stats.failedAttempts).toBeGreaterThan(0);
    expect(lines).toHaveLength(3000);
    expect(new Set(lines.map((l) => l.seq)).size).toBe(3000); // no duplicate
    // Each function's file holds its lines in the order they were written.
    for (const service of ['OrdersApi', 'PaymentsConsumer']) {
      const mine = lines.filter((l) => l.service === service).map((l) => Number(l.line.split(' ')[1]));
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
      expect(mine).toHaveLength(1500);
    }
  }, 60_000);

  it('sends a batch again when its answer is lost, and the archive stores it once', async () => {
    const archive = new LogArchive(tmp('archive'));
    await archive.start();
    archive.loseNextAnswers = 2;
    const shipper = new LogShipper({ url: archive.url, spoolDir: tmp('spool'), intervalMs: 20, maxBackoffMs: 100 });
    shipper.start();
    await traffic(shipper, 300, 30);
    await shipper.drained(10_000);
    await shipper.stop();
    await archive.stop();
    expect(archive.stats.duplicatesDropped).toBeGreaterThan(0);
    expect(seqsOf(archive, shipper.shipperId).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  }, 30_000);

  it('a shipper restarted on its spool goes on from the last acknowledged line', async () => {
    const archive = new LogArchive(tmp('archive'));
    const spoolDir = tmp('spool');
    const first = new LogShipper({ url: archive.url, spoolDir, intervalMs: 20 });
    first.start();
    for (let i = 0; i < 50; i++) first.ship('OrdersApi', 'stdout', `before ${i}`);
    await first.stop(); // the archive was never up: all 50 wait on disk
    await archive.start();
    const second = new LogShipper({ url: archive.url, spoolDir, intervalMs: 20 });
    expect(second.shipperId).toBe(first.shipperId);
    second.start();
    for (let i = 0; i < 50; i++) second.ship('OrdersApi', 'stdout', `after ${i}`);
    await second.drained(10_000);
    await second.stop();
    await archive.stop();
    const lines = archive.read();
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(lines.map((l) => l.line).slice(48, 52)).toEqual(['before 48', 'before 49', 'after 0', 'after 1']);
  }, 30_000);

  it('the archive refuses a batch that would leave a gap, and anything that is not OTLP logs', async () => {
    const archive = new LogArchive(tmp('archive'));
    await archive.start();
    const record = (seq: number) => ({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'X' } }] },
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: '1764633600000000000',
                  body: { stringValue: `l${seq}` },
                  attributes: [
                    { key: 'shopwave.shipper', value: { stringValue: 's1' } },
                    { key: 'shopwave.seq', value: { intValue: String(seq) } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const post = (body: unknown) =>
      fetch(archive.url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) }).then((r) => r.status);
    expect(await post(record(1))).toBe(200);
    expect(await post(record(3))).toBe(409);
    expect(await post(record(1))).toBe(200); // a copy: accepted, not stored
    expect(await post('{not json')).toBe(400);
    expect(await post({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] })).toBe(400);
    await archive.stop();
    expect(archive.read().map((l) => l.line)).toEqual(['l1']);
    expect(archive.stats).toEqual({ stored: 1, duplicatesDropped: 1, gapsRefused: 1 });
  });
});
