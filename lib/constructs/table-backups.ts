import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { type DataTables, TABLE_ENV, type TableKey } from './data-tables';
import { ServiceFunction } from './service-function';

/** How long the daily backups and exports are kept. */
export const BACKUP_RETENTION_DAYS = 35;

/**
 * Backups of every table beyond point-in-time recovery (seed 003; docs/runbooks/restore.md), aws target only
 * (LocalStack community has neither AWS Backup nor table exports):
 * - an AWS Backup plan: a daily backup of every table into the stack's vault, kept 35 days, copied to a second
 *   vault (another region or account) when `-c backupCopyVaultArn=…` names one; `-c backupVaultLock=true` locks the
 *   vault (compliance mode after the 3-day grace period: nobody, root included, deletes a recovery point early);
 * - one consolidated export a day of every table to S3 (functions/backup/exports.ts): seed 003's "one upload a day",
 *   from point-in-time recovery, so the tables serve traffic untouched. Two gauges feed the backup alarms
 *   (OperationalAlarms.addBackups): exports started today, yesterday's that did not complete.
 */
export class TableBackups extends Construct {
  readonly vault: BackupVault;
  readonly plan: BackupPlan;
  readonly exportBucket: Bucket;
  readonly exportFn: ServiceFunction;
  readonly tableCount: number;

  constructor(scope: Construct, id: string, props: { config: PlatformConfig; tables: DataTables }) {
    super(scope, id);
    const { config } = props;
    const tables = (Object.keys(TABLE_ENV) as TableKey[]).map((key) => [key, props.tables[key]] as const);
    this.tableCount = tables.length;

    this.vault = new BackupVault(this, 'Vault', {
      removalPolicy: RemovalPolicy.RETAIN, // a vault with recovery points cannot be deleted; and should not be
      lockConfiguration: config.backup.vaultLock ? { minRetention: Duration.days(7), changeableFor: Duration.days(3) } : undefined,
    });
    this.plan = new BackupPlan(this, 'Plan', { backupVault: this.vault });
    this.plan.addRule(
      new BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: Schedule.cron({ hour: '2', minute: '0' }),
        deleteAfter: Duration.days(BACKUP_RETENTION_DAYS),
        copyActions: config.backup.copyVaultArn
          ? [
              {
                destinationBackupVault: BackupVault.fromBackupVaultArn(this, 'CopyVault', config.backup.copyVaultArn),
                deleteAfter: Duration.days(BACKUP_RETENTION_DAYS),
              },
            ]
          : undefined,
      }),
    );
    this.plan.addSelection('Tables', { resources: tables.map(([, t]) => BackupResource.fromDynamoDbTable(t)) });
    Validations.of(this.plan).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason: "AWS Backup's own service role policy, maintained by AWS for the services it backs up; assumed only by backup.amazonaws.com.",
    });

    this.exportBucket = new Bucket(this, 'Exports', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN, // backups outlive a `cdk destroy`
      lifecycleRules: [
        {
          id: 'ExportsAgeOut',
          prefix: 'exports/',
          transitions: [{ storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) }],
          expiration: Duration.days(365),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(this.exportBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "Written only by DynamoDB exports and this stack's export function; CloudTrail data events are the audit trail if needed, a log bucket per backup bucket is cost without a reader.",
    });

    this.exportFn = new ServiceFunction(this, 'DailyExport', {
      config,
      service: 'backup',
      entry: 'daily-export',
      timeout: Duration.minutes(1),
      environment: {
        BACKUP_BUCKET_NAME: this.exportBucket.bucketName,
        BACKUP_TABLES: Stack.of(this).toJsonString(
          tables.map(([key, t]) => ({ name: key[0].toUpperCase() + key.slice(1), arn: t.tableArn })),
        ),
      },
    });
    this.exportFn.publishGauges('BackupExportsStarted', 'BackupExportsIncomplete');
    this.exportFn.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:ExportTableToPointInTime'], resources: tables.map(([, t]) => t.tableArn) }),
    );
    this.exportFn.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:DescribeExport'], resources: tables.map(([, t]) => `${t.tableArn}/export/*`) }),
    );
    // The export writes its files with the caller's permissions; the function reads back only its manifests.
    this.exportBucket.grantPut(this.exportFn, 'exports/*');
    this.exportBucket.grantRead(this.exportFn, 'exports/*/manifest.json');
    const bucketId = Stack.of(this).getLogicalId(this.exportBucket.node.defaultChild as never);
    Validations.of(this.exportFn).acknowledge(
      ...tables.map(([, t]) => ({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(t.node.defaultChild as never)}.Arn>/export/*]`,
        reason: "DescribeExport on this table's own exports, whose ids are generated by DynamoDB.",
      })),
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: "CDK's grantPut: aborting the export's own multipart uploads." },
      { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: "CDK's grantRead: bucket metadata reads, this bucket only." },
      { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: "CDK's grantRead: limited to the manifests' keys." },
      { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: "CDK's grantRead: listing this bucket only." },
      { id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/exports/*]`, reason: 'The export prefix: DynamoDB names the files under it.' },
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/exports/*/manifest.json]`,
        reason: "Each day's manifest, read back the next day.",
      },
    );
    new Rule(this, 'Schedule', {
      description: 'Exports every table to the backup bucket once a day (seed 003: one upload a day)',
      schedule: Schedule.cron({ hour: '3', minute: '0' }),
      targets: [new LambdaFunction(this.exportFn.invoked, { retryAttempts: 2 })],
    });
  }
}
