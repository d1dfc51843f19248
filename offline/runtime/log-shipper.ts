/**
 * Ships function log lines to a collector over OTLP/HTTP (JSON encoding, `POST /v1/logs`), the standard an
 * observability hub takes from any workload (seed 001). Losing nothing while the collector is down is the point:
 * - every line is appended to a spool file on disk first (synchronously, before `ship` returns), so a collector
 *   outage, a slow collector, or this process stopping leaves it on disk, not in memory;
 * - one batch is in flight at a time, read from the spool at the committed offset, so lines arrive in order;
 * - the offset moves on only after a 2xx; a refused, failed or timed-out batch is sent again after a backoff;
 * - each line carries the shipper's id and a sequence number (`shopwave.shipper`, `shopwave.seq`): a batch sent again
 *   after its answer was lost is recognized by the collector (log-archive.ts) and not stored twice.
 * A restarted shipper on the same spool directory goes on from the committed offset with the next sequence number.
 */
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

export interface ShipperOptions {
  /** The collector's OTLP/HTTP logs endpoint, e.g. http://127.0.0.1:4318/v1/logs (loopback only offline). */
  url: string;
  /** Where the spool and its offset live; reused across restarts. */
  spoolDir: string;
  /** Lines per batch at most (default 500). */
  maxBatch?: number;
  /** Idle poll and first backoff (default 200 ms); backoff doubles up to `maxBackoffMs` (default 2 s). */
  intervalMs?: number;
  maxBackoffMs?: number;
  /** Per-request timeout (default 5 s). */
  timeoutMs?: number;
}

export interface ShipperStats {
  shipped: number;
  /** Lines on disk not yet acknowledged. */
  pending: number;
  /** The most lines that were pending at once: how much an outage buffered. */
  maxPending: number;
  failedAttempts: number;
  lastError?: string;
}

interface SpoolRecord {
  seq: number;
  fn: string;
  stream: string;
  ts: number;
  line: string;
}

interface State {
  shipper: string;
  /** Byte offset in the spool up to which the collector has acknowledged. */
  offset: number;
  /** Sequence number of the next line appended. */
  nextSeq: number;
  /** Sequence number of the first line after `offset`. */
  ackedSeq: number;
}

// A spool fully acknowledged and bigger than this is emptied, so disk use stays bounded while the collector is up.
const COMPACT_AT_BYTES = 1 << 20;

export class LogShipper {
  private readonly spool: string;
  private readonly stateFile: string;
  private state: State;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private stopped = false;
  private backoffMs: number;
  readonly stats: ShipperStats = { shipped: 0, pending: 0, maxPending: 0, failedAttempts: 0 };

  constructor(private readonly opts: ShipperOptions) {
    mkdirSync(opts.spoolDir, { recursive: true });
    this.spool = path.join(opts.spoolDir, 'spool.jsonl');
    this.stateFile = path.join(opts.spoolDir, 'state.json');
    this.state = existsSync(this.stateFile)
      ? (JSON.parse(readFileSync(this.stateFile, 'utf8')) as State)
      : { shipper: randomUUID(), offset: 0, nextSeq: 1, ackedSeq: 1 };
    if (!existsSync(this.spool)) writeFileSync(this.spool, '');
    this.stats.pending = this.state.nextSeq - this.state.ackedSeq;
    this.backoffMs = opts.intervalMs ?? 200;
    this.saveState();
  }

  get shipperId(): string {
    return this.state.shipper;
  }

  /** Appends one line to the spool (durable when this returns); it is sent in the background. */
  ship(fn: string, stream: string, line: string): void {
    const record: SpoolRecord = { seq: this.state.nextSeq++, fn, stream, ts: Date.now(), line };
    appendFileSync(this.spool, `${JSON.stringify(record)}\n`);
    // nextSeq is persisted with the offset; after a crash it is recomputed from the spool (recoverSeq).
    this.stats.pending++;
    this.stats.maxPending = Math.max(this.stats.maxPending, this.stats.pending);
  }

  start(): void {
    this.stopped = false;
    this.recoverSeq();
    this.schedule(0);
  }

  /** Stops sending (what is spooled stays for the next start); waits for the batch in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sending;
    this.saveState();
  }

  /** Resolves when everything spooled so far is acknowledged, or rejects after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.stats.pending > 0) {
      if (Date.now() > deadline)
        throw new Error(
          `log shipper: ${this.stats.pending} lines still pending after ${timeoutMs} ms (${this.stats.lastError ?? 'no error'})`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.sending = this.sendOnce().finally(() => {
        this.sending = undefined;
      });
    }, ms);
    this.timer.unref?.();
  }

  /** Lines after a crash: the spool may hold lines past the persisted nextSeq. */
  private recoverSeq(): void {
    const records = this.readFrom(this.state.offset, Number.MAX_SAFE_INTEGER).records;
    const last = records.at(-1);
    if (last && last.seq >= this.state.nextSeq) this.state.nextSeq = last.seq + 1;
    this.stats.pending = records.length;
  }

  private readFrom(offset: number, maxLines: number): { records: SpoolRecord[]; end: number } {
    const size = statSync(this.spool).size;
    if (size <= offset) return { records: [], end: offset };
    const fd = openSync(this.spool, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size - offset, 4 << 20));
      const n = readSync(fd, buf, 0, buf.length, offset);
      const text = buf.subarray(0, n).toString('utf8');
      const records: SpoolRecord[] = [];
      let consumed = 0;
      // Only whole lines: a line still being appended (or cut by a crash) waits for its newline.
      for (let nl = text.indexOf('\n'); nl !== -1 && records.length < maxLines; nl = text.indexOf('\n', consumed)) {
        const raw = text.slice(consumed, nl);
        consumed = nl + 1;
        if (raw) records.push(JSON.parse(raw) as SpoolRecord);
      }
      return { records, end: offset + Buffer.byteLength(text.slice(0, consumed)) };
    } finally {
      closeSync(fd);
    }
  }

  private async sendOnce(): Promise<void> {
    const { records, end } = this.readFrom(this.state.offset, this.opts.maxBatch ?? 500);
    if (!records.length) {
      this.compact();
      return this.schedule(this.opts.intervalMs ?? 200);
    }
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(toOtlp(this.state.shipper, records)),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
      });
      if (!res.ok) throw new Error(`collector answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.arrayBuffer().catch(() => undefined);
      this.state.offset = end;
      this.state.ackedSeq = records.at(-1)!.seq + 1;
      this.saveState();
      this.stats.shipped += records.length;
      this.stats.pending -= records.length;
      this.backoffMs = this.opts.intervalMs ?? 200;
      this.schedule(0);
    } catch (err) {
      this.stats.failedAttempts++;
      this.stats.lastError = (err as Error).message;
      this.schedule(this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 2000);
    }
  }

  private compact(): void {
    if (this.state.offset < COMPACT_AT_BYTES || statSync(this.spool).size !== this.state.offset) return;
    truncateSync(this.spool, 0);
    this.state.offset = 0;
    this.saveState();
  }

  private saveState(): void {
    // Written whole and renamed would be atomic; a torn state file costs at most a resend, which the collector drops.
    writeFileSync(this.stateFile, JSON.stringify(this.state));
  }
}

/** OTLP/HTTP JSON: one resource per function (service.name), one log record per line. */
export function toOtlp(shipper: string, records: SpoolRecord[]) {
  const byFn = new Map<string, SpoolRecord[]>();
  for (const r of records) byFn.set(r.fn, [...(byFn.get(r.fn) ?? []), r]);
  return {
    resourceLogs: [...byFn].map(([fn, rs]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: fn } }] },
      scopeLogs: [
        {
          scope: { name: 'shopwave-offline-log-shipper' },
          logRecords: rs.map((r) => ({
            timeUnixNano: String(BigInt(r.ts) * 1_000_000n),
            severityText: r.stream === 'stderr' ? 'ERROR' : 'INFO',
            body: { stringValue: r.line },
            attributes: [
              { key: 'shopwave.shipper', value: { stringValue: shipper } },
              { key: 'shopwave.seq', value: { intValue: String(r.seq) } },
              { key: 'log.iostream', value: { stringValue: r.stream } },
            ],
          })),
        },
      ],
    })),
  };
}
