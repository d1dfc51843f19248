import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LambdaApplication, LambdaDeploymentConfig, LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../config';
import { PreTrafficHook } from './pre-traffic-hook';
import type { WatchedFunction } from './watch';

/** The stack-wide alarms that roll back any function's deployment: the API's 5xx rate and the delivery SLI's. */
export const ROLLBACK_ALARMS = ['Api5xxRate', 'LostOrders', 'FlowGap'] as const;

export interface CanaryDeploymentsProps {
  /** Every ServiceFunction, as discovery found them (lib/constructs/watch.ts); each has its `live` alias. */
  functions: WatchedFunction[];
  /** The target (aws), the deploy strategy and the tracing the hook function shares with the others. */
  config: PlatformConfig;
  /** An alarm by its id in OperationalAlarms (`<watch name>Errors`, `Api5xxRate`, …). */
  alarm: (id: string) => IAlarm | undefined;
  /** Gives the pre-traffic hook function its alarms (it is not a ServiceFunction: discovery does not see it). */
  watchHook: (id: string, hook: IFunction) => void;
}

/**
 * Canary deployments, aws only: one CodeDeploy deployment group per function shifts its `live` alias to the new
 * version — 10 % of invocations for 5 minutes, then all (`-c deployStrategy=all-at-once`: at once) — and rolls the
 * alias back to the previous version, failing the CloudFormation update, when the function's Errors alarm, the API's
 * 5xx rate or the delivery SLI (LostOrders, FlowGap) alarms during the shift, or the deployment fails or is stopped.
 * Before any traffic shifts, one BeforeAllowTraffic hook shared by every group (lib/constructs/pre-traffic-hook.ts)
 * probes the new version; a Failed probe stops the deployment the same way.
 * The chain and the manual paths: docs/runbooks/deploy-and-rollback.md.
 */
export class CanaryDeployments extends Construct {
  readonly groups: Record<string, LambdaDeploymentGroup> = {};
  readonly preTrafficHook: PreTrafficHook;

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
    // Created before the groups (each names it as its preHook), never in `functions`: no alias, group or canary of its own.
    const hook = (this.preTrafficHook = new PreTrafficHook(this, 'PreTrafficHook', { config: props.config, functions: props.functions }));
    props.watchHook('PreTrafficHook', hook.fn);
    const deploymentConfig =
      props.config.deployStrategy === 'canary' ? LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES : LambdaDeploymentConfig.ALL_AT_ONCE;
    for (const { name, fn } of props.functions) {
      if (!fn.live) throw new Error(`${name} has no live alias: canary deployments are for the aws target only`);
      this.groups[name] = new LambdaDeploymentGroup(this, name, {
        application,
        alias: fn.live,
        deploymentConfig,
        role,
        alarms: [required(`${name}Errors`), ...shared],
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
        // Grants the hook PutLifecycleEventHookExecutionStatus on this group, and the service role its invocation.
        preHook: hook.fn,
      });
    }
    hook.grantRead(application, Object.values(this.groups));
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason:
          "CodeDeploy's service role for Lambda: AWS's limited policy lets it read and update aliases and invoke hooks named CodeDeployHook_*, nothing else.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(hook.fn.node.defaultChild as CfnResource)}.Arn>:*]`,
        reason:
          "preHook's grantInvoke lets CodeDeploy invoke the pre-traffic hook and its versions (`:*`); the hook has no published version or alias, so this is the hook function alone.",
      },
    );
  }
}
