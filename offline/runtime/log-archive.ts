/**
 * A local log archive standing in for the observability hub (docs/observability.md, "Log shipping"): an OTLP/HTTP logs receiver
 * (`POST /v1/logs`, JSON encoding) on loopback that files every line under `<dir>/<day>/<service>.jsonl`, the
 * date-and-service partitioning the hub's Firehose gives S3. It stores each shipper's lines exactly once and in
 * order: it remembers the last sequence number it stored per shipper (`shopwave.shipper`, `shopwave.seq`, set by
 * log-shipper.ts), drops what it has already stored (a batch re-sent after a lost answer), and refuses a batch that
 * would leave a gap in a known shipper's sequence (409): lines went missing, and the shipper keeps them until
 * someone looks. It can be stopped and started again on the
 * same port and directory, which is how a test makes the hub unreachable.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface ArchivedLine {
  service: string;
  shipper: string;
  seq: number;
  timeUnixNano: string;
  stream: string;
  line: string;
}

export interface ArchiveStats {
  stored: number;
  duplicatesDropped: number;
  gapsRefused: number;
}

const MAX_BODY_BYTES = 16 << 20;

type OtlpValue = { stringValue?: string; intValue?: string | number };
const attr = (attrs: { key: string; value: OtlpValue }[] | undefined, key: string) => attrs?.find((a) => a.key === key)?.value;

export class LogArchive {
  private server: Server | undefined;
  private port: number;
  private readonly lastSeq: Record<string, number>;
  private readonly stateFile: string;
  readonly stats: ArchiveStats = { stored: 0, duplicatesDropped: 0, gapsRefused: 0 };
  /** Test hook: the next N accepted batches are stored but their connection is cut before the answer. */
  loseNextAnswers = 0;

  constructor(
    private readonly dir: string,
    port = 0,
  ) {
    this.port = port;
    mkdirSync(dir, { recursive: true });
    this.stateFile = path.join(dir, 'sequences.json');
    this.lastSeq = existsSync(this.stateFile) ? JSON.parse(readFileSync(this.stateFile, 'utf8')) : {};
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/logs`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      if (req.method !== 'POST' || req.url !== '/v1/logs') {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) req.destroy();
        else chunks.push(c);
      });
      req.on('end', () => {
        let status = 200;
        let answer: Record<string, unknown>;
        try {
          const result = this.accept(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          answer = result.gap ? { partialSuccess: { rejectedLogRecords: result.rejected, errorMessage: result.gap } } : {};
          if (result.gap) status = 409;
        } catch (err) {
          status = 400;
          answer = { error: (err as Error).message };
        }
        if (status === 200 && this.loseNextAnswers > 0) {
          this.loseNextAnswers--;
          req.socket.destroy(); // stored, but the shipper never hears so
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections: the hub is unreachable until `start`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(body: {
    resourceLogs?: {
      resource?: { attributes?: { key: string; value: OtlpValue }[] };
      scopeLogs?: { logRecords?: { timeUnixNano?: string; body?: OtlpValue; attributes?: { key: string; value: OtlpValue }[] }[] }[];
    }[];
  }): { gap?: string; rejected: number } {
    const lines: ArchivedLine[] = [];
    for (const rl of body.resourceLogs ?? []) {
      const service = String(attr(rl.resource?.attributes, 'service.name')?.stringValue ?? 'unknown');
      for (const sl of rl.scopeLogs ?? [])
        for (const r of sl.logRecords ?? []) {
          const shipper = attr(r.attributes, 'shopwave.shipper')?.stringValue;
          const seq = Number(attr(r.attributes, 'shopwave.seq')?.intValue);
          if (!shipper || !Number.isInteger(seq)) throw new Error('every log record needs shopwave.shipper and an integer shopwave.seq');
          lines.push({
            service,
            shipper,
            seq,
            timeUnixNano: r.timeUnixNano ?? '0',
            stream: String(attr(r.attributes, 'log.iostream')?.stringValue ?? 'stdout'),
            line: String(r.body?.stringValue ?? ''),
          });
        }
    }
    lines.sort((a, b) => (a.shipper === b.shipper ? a.seq - b.seq : a.shipper < b.shipper ? -1 : 1));
    let rejected = 0;
    let gap: string | undefined;
    for (const l of lines) {
      // A shipper seen for the first time starts where it is (its spool may predate this archive's directory).
      const last = this.lastSeq[l.shipper] ?? l.seq - 1;
      if (l.seq <= last) {
        this.stats.duplicatesDropped++;
        continue;
      }
      if (l.seq !== last + 1) {
        gap ??= `shipper ${l.shipper}: expected seq ${last + 1}, got ${l.seq}`;
        rejected++;
        continue;
      }
      const day = new Date(Number(BigInt(l.timeUnixNano) / 1_000_000n)).toISOString().slice(0, 10);
      const file = path.join(this.dir, day, `${l.service.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, `${JSON.stringify(l)}\n`);
      this.lastSeq[l.shipper] = l.seq;
      this.stats.stored++;
    }
    if (gap) this.stats.gapsRefused++;
    writeFileSync(this.stateFile, JSON.stringify(this.lastSeq));
    return { gap, rejected };
  }

  /** Every line archived, from every day's files. */
  read(): ArchivedLine[] {
    const out: ArchivedLine[] = [];
    for (const day of readdirSync(this.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort())
      for (const file of readdirSync(path.join(this.dir, day)).sort())
        for (const l of readFileSync(path.join(this.dir, day, file), 'utf8').split('\n')) if (l) out.push(JSON.parse(l) as ArchivedLine);
    return out;
  }
}
