/**
 * Once a day (lib/constructs/table-backups.ts; aws target only): every table exported to the backup bucket
 * (exports.ts), and two gauges for the backup alarms: how many exports started today, and how many of yesterday's
 * did not complete. A run that cannot start some exports still writes its manifest and publishes, then fails, so
 * the Lambda errors alarm sees it too.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { dynamodb } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';
import { publishGauges } from '../shared/gauges';
import { logger, metrics, traced, tracing } from '../shared/powertools';
import { type ExportRun, type ExportTable, runDailyExport } from './exports';

const tables = JSON.parse(requireEnv('BACKUP_TABLES')) as ExportTable[];
const bucket = requireEnv('BACKUP_BUCKET_NAME');
const s3 = traced(new S3Client({}));

export const handler = middy(async (): Promise<ExportRun> => {
  const run = await runDailyExport({ dynamodb, s3, bucket, prefix: 'exports', tables });
  await publishGauges({
    BackupExportsStarted: { value: run.started, unit: 'Count' },
    BackupExportsIncomplete: { value: run.previousIncomplete.length, unit: 'Count' },
  });
  if (run.previousIncomplete.length) logger.error("yesterday's table exports did not all complete", { incomplete: run.previousIncomplete });
  if (run.startFailures.length) {
    logger.error('could not start every table export', { failures: run.startFailures });
    throw new Error(
      `${run.startFailures.length} of ${tables.length} table exports did not start: ${run.startFailures.map((f) => f.table).join(', ')}`,
    );
  }
  logger.info('table exports started', { day: run.day, started: run.started });
  return run;
})
  .use(tracing())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
