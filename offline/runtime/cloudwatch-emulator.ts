/**
 * CloudWatch PutMetricData, offline: the call the scheduled checks make for their gauges (functions/shared/gauges.ts),
 * on the protocol the SDK speaks (AWS JSON 1.0, `GraniteServiceVersion20100801.PutMetricData`), into the same metric
 * store the alarms read. It checks what CloudWatch checks for this call (namespace, names, dimensions, values), so a
 * malformed datum fails the function offline as it would on LocalStack or AWS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricDatum, MetricStore } from './metrics';

const TARGET = 'GraniteServiceVersion20100801.PutMetricData';

class InvalidParameter extends Error {}

/** The datums of one PutMetricData request; throws InvalidParameter for what CloudWatch would refuse. */
export function putMetricDataDatums(input: any, now = Date.now()): MetricDatum[] {
  const namespace = input?.Namespace;
  if (typeof namespace !== 'string' || !namespace || namespace.startsWith('AWS/'))
    throw new InvalidParameter(`Namespace '${namespace}' is missing or reserved`);
  const data: any[] = input.MetricData;
  if (!Array.isArray(data) || data.length === 0 || data.length > 1000) throw new InvalidParameter('MetricData must hold 1 to 1000 items');
  return data.flatMap((m, i): MetricDatum[] => {
    if (typeof m.MetricName !== 'string' || !m.MetricName) throw new InvalidParameter(`MetricData.${i}.MetricName is required`);
    const dims: any[] = m.Dimensions ?? [];
    if (dims.length > 30) throw new InvalidParameter(`MetricData.${i} has more than 30 dimensions`);
    const dimensions: Record<string, string> = {};
    for (const d of dims) {
      if (typeof d.Name !== 'string' || typeof d.Value !== 'string' || !d.Name || !d.Value)
        throw new InvalidParameter(`MetricData.${i}.Dimensions: Name and Value are required`);
      dimensions[d.Name] = d.Value;
    }
    // JSON 1.0 timestamps are epoch seconds.
    const timestamp = m.Timestamp === undefined ? now : Math.round(Number(m.Timestamp) * 1000);
    const values: number[] = m.Values ?? (m.Value === undefined ? [] : [m.Value]);
    if (values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw new InvalidParameter(`MetricData.${i} (${m.MetricName}) needs a finite Value or Values`);
    const counts: number[] = m.Counts ?? values.map(() => 1);
    return values.flatMap((value, j) =>
      Array.from({ length: counts[j] ?? 1 }, () => ({ namespace, name: m.MetricName, dimensions, value, unit: m.Unit, timestamp })),
    );
  });
}

export class CloudWatchEmulator {
  private server?: Server;

  constructor(
    private readonly metrics: MetricStore,
    /** Told of every accepted PutMetricData request and its datum count (the cost meter). */
    private readonly onPutMetricData?: (datums: number) => void,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req
        .on('data', (c) => chunks.push(c))
        .on('end', () => {
          const reply = (status: number, body: unknown): void =>
            void res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
          const target = String(req.headers['x-amz-target'] ?? '');
          if (target !== TARGET) return reply(400, { __type: 'UnknownOperationException', message: `${target} is not emulated offline` });
          try {
            const datums = putMetricDataDatums(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
            for (const d of datums) this.metrics.put(d);
            this.onPutMetricData?.(datums.length);
            reply(200, {});
          } catch (err) {
            const invalid = err instanceof InvalidParameter || err instanceof SyntaxError;
            reply(invalid ? 400 : 500, {
              __type: invalid ? 'InvalidParameterValue' : 'InternalServiceError',
              message: (err as Error).message,
            });
          }
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
