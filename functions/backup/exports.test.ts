/**
 * The daily export's bookkeeping against fakes of the two APIs it calls: DynamoDB's export API is not in DynamoDB
 * Local (nor LocalStack community), and nothing here depends on DynamoDB conditions or transactions.
 */
import { DescribeExportCommand, type DynamoDBClient, ExportTableToPointInTimeCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { runDailyExport } from './exports';

const tables = [
  { name: 'Orders', arn: 'arn:aws:dynamodb:us-east-1:111111111111:table/orders' },
  { name: 'Catalog', arn: 'arn:aws:dynamodb:us-east-1:111111111111:table/catalog' },
];

function fakes(opts: { statuses?: Record<string, string>; refuse?: string[] } = {}) {
  const objects = new Map<string, string>();
  const exportsStarted: ExportTableToPointInTimeCommand['input'][] = [];
  const s3 = {
    send: async (cmd: unknown) => {
      if (cmd instanceof PutObjectCommand) objects.set(cmd.input.Key!, String(cmd.input.Body));
      else if (cmd instanceof GetObjectCommand) {
        const body = objects.get(cmd.input.Key!);
        if (body === undefined) throw new NoSuchKey({ message: 'no such key', $metadata: {} });
        return { Body: { transformToString: async () => body } };
      } else throw new Error(`unexpected S3 call ${(cmd as object).constructor.name}`);
      return {};
    },
  } as unknown as S3Client;
  const dynamodb = {
    send: async (cmd: unknown) => {
      if (cmd instanceof ExportTableToPointInTimeCommand) {
        const table = tables.find((t) => t.arn === cmd.input.TableArn)!.name;
        if (opts.refuse?.includes(table)) throw new Error('PointInTimeRecoveryUnavailableException: PITR is off');
        exportsStarted.push(cmd.input);
        return { ExportDescription: { ExportArn: `${cmd.input.TableArn}/export/${cmd.input.ClientToken}` } };
      }
      if (cmd instanceof DescribeExportCommand) {
        const table = tables.find((t) => cmd.input.ExportArn!.startsWith(t.arn))!.name;
        return { ExportDescription: { ExportStatus: opts.statuses?.[table] ?? 'COMPLETED' } };
      }
      throw new Error(`unexpected DynamoDB call ${(cmd as object).constructor.name}`);
    },
  } as unknown as DynamoDBClient;
  return { objects, exportsStarted, deps: { dynamodb, s3, bucket: 'b', prefix: 'exports', tables } };
}

const day1 = new Date('2026-12-01T03:00:00Z');
const day2 = new Date('2026-12-02T03:00:00Z');

describe('daily consolidated export', () => {
  it('exports every table under one dated prefix, idempotent per day and table, with a manifest', async () => {
    const f = fakes();
    const run = await runDailyExport(f.deps, day1);
    expect(run.started).toBe(2);
    expect(f.exportsStarted.map((e) => [e.S3Prefix, e.ClientToken])).toEqual([
      ['exports/2026-12-01/Orders', '2026-12-01-Orders'],
      ['exports/2026-12-01/Catalog', '2026-12-01-Catalog'],
    ]);
    expect(JSON.parse(f.objects.get('exports/2026-12-01/manifest.json')!).exports).toHaveLength(2);
  });

  it('the first run has no yesterday: every table counts as missing, not as fine', async () => {
    const run = await runDailyExport(fakes().deps, day1);
    expect(run.previousIncomplete.map((i) => i.status)).toEqual([
      'no export on 2026-11-30 (no manifest)',
      'no export on 2026-11-30 (no manifest)',
    ]);
  });

  it("the next day counts yesterday's exports that failed or are still running", async () => {
    const f = fakes();
    await runDailyExport(f.deps, day1);
    expect((await runDailyExport(f.deps, day2)).previousIncomplete).toEqual([]);
    const g = fakes({ statuses: { Orders: 'FAILED', Catalog: 'IN_PROGRESS' } });
    await runDailyExport(g.deps, day1);
    expect((await runDailyExport(g.deps, day2)).previousIncomplete).toEqual([
      { table: 'Orders', status: 'FAILED' },
      { table: 'Catalog', status: 'IN_PROGRESS' },
    ]);
  });

  it('an export that cannot start is reported now, recorded in the manifest, and counted again the next day', async () => {
    const f = fakes({ refuse: ['Catalog'] });
    const run = await runDailyExport(f.deps, day1);
    expect(run.started).toBe(1);
    expect(run.startFailures).toEqual([{ table: 'Catalog', error: expect.stringContaining('PITR is off') }]);
    const next = await runDailyExport(f.deps, day2);
    expect(next.previousIncomplete).toEqual([{ table: 'Catalog', status: expect.stringMatching(/^not started: .*PITR is off/) }]);
  });
});
