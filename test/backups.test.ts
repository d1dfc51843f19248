/**
 * Table backups (lib/constructs/table-backups.ts; docs/runbooks/restore.md): point-in-time recovery on every table
 * of every target; on aws a daily AWS Backup plan of every table (with a copy and a vault lock when asked), one
 * consolidated export a day to a private, ageing-out bucket, and the two alarms that say when a day's export is
 * missing or incomplete; none of that on localstack or offline, which have no such services (the drill is offline).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';

function synth(target: string, context: Record<string, unknown> = {}) {
  const { app, stack } = buildApp({
    outdir: mkdtempSync(path.join(tmpdir(), `shopwave-backups-${target}-`)),
    context: { target, 'aws:cdk:bundling-stacks': [], ...context },
  });
  app.synth();
  return Template.fromStack(stack);
}
const COPY_VAULT = 'arn:aws:backup:eu-west-1:222222222222:backup-vault:shopwave-copies';

describe.each(['aws', 'localstack', 'offline'])('backups on target %s', (target) => {
  const template = synth(target);
  const tables = Object.keys(template.findResources('AWS::DynamoDB::Table'));

  it('keeps point-in-time recovery on every table', () => {
    expect(tables.length).toBe(12);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it(
    target === 'aws'
      ? 'backs up every table daily, kept 35 days, and exports all of them once a day'
      : 'has no AWS Backup plan or export (no such service there)',
    () => {
      if (target !== 'aws') {
        expect(template.findResources('AWS::Backup::BackupPlan')).toEqual({});
        expect(template.findResources('AWS::S3::Bucket')).toEqual({});
        return;
      }
      template.hasResourceProperties('AWS::Backup::BackupPlan', {
        BackupPlan: {
          BackupPlanRule: [
            Match.objectLike({ RuleName: 'Daily', ScheduleExpression: 'cron(0 2 * * ? *)', Lifecycle: { DeleteAfterDays: 35 } }),
          ],
        },
      });
      const selection = Object.values(template.findResources('AWS::Backup::BackupSelection'))[0];
      const selected = selection.Properties.BackupSelection.Resources.map((r: any) => r['Fn::GetAtt'][0]).sort();
      expect(selected).toEqual([...tables].sort());
      // No copy and no lock unless asked.
      expect(JSON.stringify(template.findResources('AWS::Backup::BackupPlan'))).not.toContain('CopyActions');
      expect(Object.values(template.findResources('AWS::Backup::BackupVault'))[0].Properties.LockConfiguration).toBeUndefined();

      template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Prefix: 'exports/',
              ExpirationInDays: 365,
              Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
            }),
          ],
        },
      });
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2 } })],
      });
      // The export function may export exactly the stack's tables, and nothing else of DynamoDB.
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
      const exportGrant = policies.find((s: any) => s.Action === 'dynamodb:ExportTableToPointInTime');
      expect(exportGrant.Resource.map((r: any) => r['Fn::GetAtt'][0]).sort()).toEqual([...tables].sort());
    },
  );

  it(
    target === 'aws' ? 'alarms when a day has no export or an incomplete one, each with the restore runbook' : 'deploys no backup alarm',
    () => {
      const alarms = template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { MetricName: Match.stringLikeRegexp('^BackupExports') },
      });
      if (target !== 'aws') return expect(alarms).toEqual({});
      const byMetric = Object.fromEntries(Object.values(alarms).map((a: any) => [a.Properties.MetricName, a.Properties]));
      expect(byMetric.BackupExportsStarted).toMatchObject({
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 12,
        Period: 86400,
        TreatMissingData: 'breaching', // no run at all is a missing backup, not silence
      });
      expect(byMetric.BackupExportsIncomplete).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, Period: 86400 });
      for (const a of Object.values(byMetric) as any[]) expect(a.AlarmDescription).toContain('docs/runbooks/restore.md');
    },
  );
});

describe('backup options on aws', () => {
  it('copies each daily backup to the vault named by backupCopyVaultArn, and locks the vault when asked', () => {
    const template = synth('aws', { backupCopyVaultArn: COPY_VAULT, backupVaultLock: 'true' });
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({ CopyActions: [{ DestinationBackupVaultArn: COPY_VAULT, Lifecycle: { DeleteAfterDays: 35 } }] }),
        ],
      },
    });
    template.hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: { MinRetentionDays: 7, ChangeableForDays: 3 } });
  });

  it('refuses a copy vault that is not a backup vault ARN, and a lock that is not true or false', () => {
    expect(() => synth('aws', { backupCopyVaultArn: 'arn:aws:s3:::a-bucket' })).toThrow(/backupCopyVaultArn/);
    expect(() => synth('aws', { backupVaultLock: 'yes' })).toThrow(/backupVaultLock/);
  });
});
