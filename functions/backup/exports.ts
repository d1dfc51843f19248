/**
 * The daily consolidated export (seed 003: the external store takes one upload a day): once a day every table is
 * exported to S3 under one dated prefix, `<prefix>/<day>/<table>/`, from its point-in-time recovery (no read capacity
 * used, no effect on the tables). A manifest, `<prefix>/<day>/manifest.json`, lists that day's exports; the next run
 * reads it and asks DynamoDB how each one ended, so a failed or never-finished export is counted the next day, and a
 * day without a manifest counts every table as missing. The counts are the gauges the backup alarms read.
 */
import { DescribeExportCommand, type DynamoDBClient, ExportTableToPointInTimeCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface ExportTable {
  /** The table's name in the stack's terms (Orders, Catalog, …): the folder its export goes to. */
  name: string;
  arn: string;
}

export interface DayManifest {
  day: string;
  exports: { table: string; exportArn?: string; error?: string }[];
}

export interface ExportRun {
  day: string;
  started: number;
  startFailures: { table: string; error: string }[];
  /** Yesterday's exports that did not complete: failed, still running a day later, never started, or no manifest. */
  previousIncomplete: { table: string; status: string }[];
}

export const dayOf = (now: Date) => now.toISOString().slice(0, 10);
const manifestKey = (prefix: string, day: string) => `${prefix}/${day}/manifest.json`;

async function readManifest(s3: S3Client, bucket: string, key: string): Promise<DayManifest | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await res.Body!.transformToString()) as DayManifest;
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/** How yesterday's exports ended; every table not known to have COMPLETED is listed with the reason. */
export async function checkDay(
  deps: { dynamodb: DynamoDBClient; s3: S3Client; bucket: string; prefix: string; tables: ExportTable[] },
  day: string,
) {
  const manifest = await readManifest(deps.s3, deps.bucket, manifestKey(deps.prefix, day));
  if (!manifest) return deps.tables.map((t) => ({ table: t.name, status: `no export on ${day} (no manifest)` }));
  const incomplete: { table: string; status: string }[] = [];
  for (const table of deps.tables) {
    const entry = manifest.exports.find((e) => e.table === table.name);
    if (!entry?.exportArn) {
      incomplete.push({ table: table.name, status: entry?.error ? `not started: ${entry.error}` : 'not started' });
      continue;
    }
    const { ExportDescription } = await deps.dynamodb.send(new DescribeExportCommand({ ExportArn: entry.exportArn }));
    const status = ExportDescription?.ExportStatus ?? 'UNKNOWN';
    if (status !== 'COMPLETED')
      incomplete.push({
        table: table.name,
        status: ExportDescription?.FailureMessage ? `${status}: ${ExportDescription.FailureMessage}` : status,
      });
  }
  return incomplete;
}

/** Starts today's exports (idempotent per day and table: a retried run gets the same exports back) and writes the manifest. */
export async function runDailyExport(
  deps: { dynamodb: DynamoDBClient; s3: S3Client; bucket: string; prefix: string; tables: ExportTable[] },
  now = new Date(),
): Promise<ExportRun> {
  const day = dayOf(now);
  const yesterday = dayOf(new Date(now.getTime() - 86_400_000));
  const previousIncomplete = await checkDay(deps, yesterday);
  const manifest: DayManifest = { day, exports: [] };
  for (const table of deps.tables) {
    try {
      const res = await deps.dynamodb.send(
        new ExportTableToPointInTimeCommand({
          TableArn: table.arn,
          S3Bucket: deps.bucket,
          S3Prefix: `${deps.prefix}/${day}/${table.name}`,
          ExportFormat: 'DYNAMODB_JSON',
          // Same token within 8 hours: the same export, not a second one (a Lambda retry of this run).
          ClientToken: `${day}-${table.name}`,
        }),
      );
      manifest.exports.push({ table: table.name, exportArn: res.ExportDescription?.ExportArn });
    } catch (err) {
      manifest.exports.push({ table: table.name, error: (err as Error).message });
    }
  }
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: manifestKey(deps.prefix, day),
      Body: JSON.stringify(manifest, null, 2),
      ContentType: 'application/json',
    }),
  );
  const startFailures = manifest.exports.filter((e) => e.error).map((e) => ({ table: e.table, error: e.error! }));
  return { day, started: manifest.exports.length - startFailures.length, startFailures, previousIncomplete };
}
