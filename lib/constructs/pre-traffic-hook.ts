import { Duration, RemovalPolicy, Stack, Token, Validations, type CfnResource } from 'aws-cdk-lib';
import { CfnMethod } from 'aws-cdk-lib/aws-apigateway';
import type { LambdaApplication, LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { CfnRule } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnEventSourceMapping, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import path from 'node:path';
import { INVOKED_KINDS, PROBES_ENV, type ProbeKind } from '../../functions/deploy/probes';
import type { PlatformConfig } from '../config';
import { functionTracing } from './otel-tracing';
import { BUNDLING, type ServiceFunction } from './service-function';
import type { WatchedFunction } from './watch';

const ENTRY = path.join(import.meta.dirname, '..', '..', 'functions', 'deploy', 'pre-traffic.ts');

/** The hook's Powertools service name, and its `service` partition in the observability hub's archive. */
export const PRE_TRAFFIC_SERVICE = 'deploy';

/** Lambda's limit on a function name. */
const MAX_FUNCTION_NAME = 64;

/** The hook's name: CodeDeploy's role (AWSCodeDeployRoleForLambdaLimited) may invoke only `CodeDeployHook_*`. */
export const hookFunctionName = (stackName: string) => `CodeDeployHook_${stackName}-PreTraffic`;

const refId = (v: any): string | undefined => v?.Ref ?? v?.['Fn::GetAtt']?.[0];
const refsIn = (v: unknown): string[] =>
  v === null || typeof v !== 'object' ? [] : refId(v) ? [refId(v)!] : Object.values(v).flatMap(refsIn);

/**
 * How each function is triggered, read from what the stack will deploy (not from a list kept beside it): an event
 * source mapping that names the function or its alias (a DynamoDB stream has a StartingPosition, an SQS queue
 * cannot), a scheduled rule that targets it, an API Gateway method that integrates it. A function with two kinds of
 * trigger has no single harmless probe: synthesis fails until one is chosen here.
 */
export function probeKinds(stack: Stack, functions: WatchedFunction[]): Map<ServiceFunction, ProbeKind> {
  const byId = new Map<string, ServiceFunction>();
  const idOf = (c: Construct | undefined) => (c ? stack.getLogicalId(c as CfnResource) : undefined);
  for (const { fn } of functions) {
    byId.set(idOf(fn.node.defaultChild)!, fn);
    if (fn.live) byId.set(idOf(fn.live.node.defaultChild)!, fn);
  }
  const found = new Map<ServiceFunction, Set<ProbeKind>>();
  const add = (value: unknown, kind: ProbeKind) => {
    for (const id of refsIn(stack.resolve(value))) {
      const fn = byId.get(id);
      if (fn) found.set(fn, (found.get(fn) ?? new Set()).add(kind));
    }
  };
  for (const node of stack.node.findAll()) {
    if (node instanceof CfnEventSourceMapping) add(node.functionName, node.startingPosition ? 'stream' : 'sqs');
    if (node instanceof CfnRule && node.scheduleExpression) add(node.targets, 'schedule');
    if (node instanceof CfnMethod) add(node.integration, 'api');
  }
  const kinds = new Map<ServiceFunction, ProbeKind>();
  for (const { name, fn } of functions) {
    const of = [...(found.get(fn) ?? [])];
    if (of.length > 1)
      throw new Error(`${name} is triggered as ${of.join(' and ')}: give it one pre-traffic probe (lib/constructs/pre-traffic-hook.ts)`);
    kinds.set(fn, of[0] ?? 'untriggered');
  }
  return kinds;
}

export interface PreTrafficHookProps {
  config: PlatformConfig;
  /** The functions whose deployments it checks (every ServiceFunction, as CanaryDeployments gets them). */
  functions: WatchedFunction[];
}

/**
 * The one BeforeAllowTraffic hook of every deployment group (functions/deploy/pre-traffic.ts), aws only.
 *
 * A plain NodejsFunction with the platform's bundling (BUNDLING), runtime, log group and tracing, not a
 * ServiceFunction: a ServiceFunction is a workload function, which on aws gets a `live` alias and a canary of its
 * own (CanaryDeployments refuses one without), a dashboard row and the hub's log subscription. The hook is deploy
 * machinery: deployed through itself it would be its own hook, and it is created while the WatchAspect runs (its
 * probe map needs every function), after discovery, so discovery could not see it anyway. Its alarms and its
 * subscription to the observability hub are added explicitly (lib/shopwave-stack.ts).
 */
export class PreTrafficHook extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly kinds: Map<ServiceFunction, ProbeKind>;

  constructor(scope: Construct, id: string, props: PreTrafficHookProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const functionName = hookFunctionName(stack.stackName);
    if (Token.isUnresolved(stack.stackName) || functionName.length > MAX_FUNCTION_NAME)
      throw new Error(`the pre-traffic hook's name ${functionName} must be a literal of at most ${MAX_FUNCTION_NAME} characters`);
    this.kinds = probeKinds(stack, props.functions);
    // Lambda's 4 KB for all variables: a generated function name is at most 64 characters, plus its kind and quotes.
    if (this.kinds.size * 80 > 3_500)
      throw new Error(`${this.kinds.size} functions are too many for ${PROBES_ENV} in one environment variable: move the map to SSM`);
    const tracing = functionTracing(this, props.config, PRE_TRAFFIC_SERVICE);
    const logGroup = (this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }));
    this.fn = new NodejsFunction(this, 'Handler', {
      functionName,
      description:
        'CodeDeploy BeforeAllowTraffic hook: probes each new version before its alias shifts (docs/runbooks/deploy-and-rollback.md)',
      entry: ENTRY,
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      // Four control-plane calls of at most 5 s and one probe of at most 30 s (functions/deploy/pre-traffic.ts).
      timeout: Duration.seconds(60),
      tracing: tracing.xrayActive ? Tracing.ACTIVE : Tracing.DISABLED,
      layers: tracing.layers,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: PRE_TRAFFIC_SERVICE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        // Function name → probe kind; the names are the functions' physical names (Refs), as the AppSpec has them.
        [PROBES_ENV]: stack.toJsonString(Object.fromEntries([...this.kinds].map(([fn, kind]) => [fn.functionName, kind]))),
        ...tracing.environment,
      },
      bundling: { ...BUNDLING, mainFields: [...BUNDLING.mainFields], externalModules: [] },
    });
    // What it may read and invoke: every function's versions (`<function ARN>:*`, the qualifier CodeDeploy's
    // TargetVersion fills in); invoke only where the kind is invoked, never the unqualified function.
    const versions = (fns: ServiceFunction[]) => fns.map((fn) => `${fn.functionArn}:*`);
    const all = [...this.kinds.keys()];
    const invoked = all.filter((fn) => INVOKED_KINDS.includes(this.kinds.get(fn)!));
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:GetFunctionConfiguration'], resources: versions(all) }));
    if (invoked.length) this.fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: versions(invoked) }));
    Validations.of(this.fn).acknowledge(
      ...all.map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnResource)}.Arn>:*]`,
        reason:
          "The pre-traffic hook reads (and for consumers and APIs invokes) the version a deployment shifts to: the version number is known only at deploy time, so the qualifier is a wildcard on this one function's versions and aliases, never the unqualified function or another function.",
      })),
      {
        id: 'AwsSolutions-L1',
        reason: 'nodejs22.x is the platform runtime (ServiceFunction says why); the hook is bundled the same way.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The basic execution role only allows writing this function's logs (CreateLogStream/PutLogEvents).",
      },
    );
    if (tracing.xrayActive)
      Validations.of(this.fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Active tracing adds xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.',
      });
  }

  /**
   * Lets the hook read the deployments of these groups (GetDeployment) and the application's revisions
   * (GetApplicationRevision: a CloudFormation-made deployment carries only the AppSpec's hash). The report,
   * PutLifecycleEventHookExecutionStatus on each group, is granted by LambdaDeploymentGroup's preHook.
   */
  grantRead(application: LambdaApplication, groups: LambdaDeploymentGroup[]): void {
    this.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['codedeploy:GetDeployment'], resources: groups.map((g) => g.deploymentGroupArn) }),
    );
    this.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['codedeploy:GetApplicationRevision'], resources: [application.applicationArn] }),
    );
  }
}
