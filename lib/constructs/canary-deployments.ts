import { Validations } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { LambdaApplication, LambdaDeploymentConfig, LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { DeployStrategy } from '../config';
import type { WatchedFunction } from './watch';

/** The stack-wide alarms that roll back any function's deployment: the API's 5xx rate and the delivery SLI's. */
export const ROLLBACK_ALARMS = ['Api5xxRate', 'LostOrders', 'FlowGap'] as const;

export interface CanaryDeploymentsProps {
  /** Every ServiceFunction, as discovery found them (lib/constructs/watch.ts); each has its `live` alias. */
  functions: WatchedFunction[];
  strategy: DeployStrategy;
  /** An alarm by its id in OperationalAlarms (`<watch name>Errors`, `Api5xxRate`, …). */
  alarm: (id: string) => IAlarm | undefined;
}

/**
 * Canary deployments, aws only: one CodeDeploy deployment group per function shifts its `live` alias to the new
 * version — 10 % of invocations for 5 minutes, then all (`-c deployStrategy=all-at-once`: at once) — and rolls the
 * alias back to the previous version, failing the CloudFormation update, when the function's Errors alarm, the API's
 * 5xx rate or the delivery SLI (LostOrders, FlowGap) alarms during the shift, or the deployment fails or is stopped.
 * The chain and the manual paths: docs/runbooks/deploy-and-rollback.md.
 */
export class CanaryDeployments extends Construct {
  readonly groups: Record<string, LambdaDeploymentGroup> = {};

  constructor(scope: Construct, id: string, props: CanaryDeploymentsProps) {
    super(scope, id);
    const required = (alarmId: string): IAlarm => {
      const alarm = props.alarm(alarmId);
      // On aws every alarm is deployed; a missing one would silently weaken the rollback.
      if (!alarm) throw new Error(`canary deployments need the alarm ${alarmId}, which the stack does not define`);
      return alarm;
    };
    const shared = ROLLBACK_ALARMS.map(required);
    const application = new LambdaApplication(this, 'Application');
    // One service role for every group (CodeDeploy attaches AWSCodeDeployRoleForLambdaLimited to it), not one each.
    const role = new Role(this, 'ServiceRole', { assumedBy: new ServicePrincipal('codedeploy.amazonaws.com') });
    const deploymentConfig =
      props.strategy === 'canary' ? LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES : LambdaDeploymentConfig.ALL_AT_ONCE;
    for (const { name, fn } of props.functions) {
      if (!fn.live) throw new Error(`${name} has no live alias: canary deployments are for the aws target only`);
      this.groups[name] = new LambdaDeploymentGroup(this, name, {
        application,
        alias: fn.live,
        deploymentConfig,
        role,
        alarms: [required(`${name}Errors`), ...shared],
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        "CodeDeploy's service role for Lambda: AWS's limited policy lets it read and update aliases and invoke hooks named CodeDeployHook_*, nothing else.",
    });
  }
}
