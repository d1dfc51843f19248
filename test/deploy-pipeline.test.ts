/**
 * The deploy path (docs/runbooks/deploy-and-rollback.md): on aws every function is invoked through a `live` alias
 * that CodeDeploy shifts canary-first and rolls back on the function's errors, the API's 5xx rate and the delivery
 * SLI; LocalStack and offline keep invoking the functions themselves. Stages give each copy its own stack name.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, PIPELINE_ACCESS_STACK_NAME } from '../lib/app';

/** Stack-wide alarms that roll back every function's deployment (the list, not read from the code). */
const ROLLBACK_ALARMS = ['Api5xxRate', 'LostOrders', 'FlowGap'];

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, any>; UpdatePolicy?: Record<string, any>; DeletionPolicy?: string }
>;

function synth(context: Record<string, string>) {
  const { app, stack } = buildApp({
    outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-deploy-')),
    context: { ...context, 'aws:cdk:bundling-stacks': [] },
  });
  app.synth(); // cdk-nag runs here: an unacknowledged finding throws
  const resources = Template.fromStack(stack).toJSON().Resources as Resources;
  return { stack, resources };
}

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const refId = (v: any): string | undefined => v?.Ref ?? v?.['Fn::GetAtt']?.[0];
const refsIn = (v: any): string[] => (v === null || typeof v !== 'object' ? [] : refId(v) ? [refId(v)!] : Object.values(v).flatMap(refsIn));
const typeOfRefs = (resources: Resources, v: any) =>
  refsIn(v)
    .map((id) => resources[id]?.Type)
    .filter((t) => t?.startsWith('AWS::Lambda'));

/** The pre-traffic hook: the one function named CodeDeployHook_… (lib/constructs/pre-traffic-hook.ts). */
function hookOf(resources: Resources): [string, Resources[string]] {
  const hooks = ofType(resources, 'AWS::Lambda::Function').filter(([, f]) =>
    String(f.Properties.FunctionName).startsWith('CodeDeployHook_'),
  );
  expect(hooks).toHaveLength(1);
  return hooks[0];
}

/** The hook's PRE_TRAFFIC_PROBES (a Fn::Join of function Refs and JSON), as logical id → kind. */
function probesOf(hook: Resources[string]): Record<string, string> {
  const value = hook.Properties.Environment.Variables.PRE_TRAFFIC_PROBES;
  const [, parts] = value['Fn::Join'];
  const json = parts.map((p: any) => (typeof p === 'string' ? p : `${refId(p)}`)).join('');
  return JSON.parse(json);
}

/** What a pipeline must never need: long-lived credentials. */
const longLivedKeys = (resources: Resources) =>
  Object.entries(resources)
    .filter(([, r]) => ['AWS::IAM::User', 'AWS::IAM::AccessKey'].includes(r.Type))
    .map(([id]) => id);

describe('target aws (default: canary)', () => {
  let resources: Resources;
  beforeAll(() => ({ resources } = synth({ target: 'aws' })));

  it('holds no IAM user or access key', () => expect(longLivedKeys(resources)).toEqual([]));

  it('publishes every function as a version behind one `live` alias (the pre-traffic hook aside)', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function').filter(([id]) => id !== hookOf(resources)[0]);
    expect(functions.length).toBeGreaterThanOrEqual(16);
    const aliases = ofType(resources, 'AWS::Lambda::Alias');
    for (const [id] of functions) {
      const mine = aliases.filter(([, a]) => refId(a.Properties.FunctionName) === id);
      expect(mine, id).toHaveLength(1);
      const [, alias] = mine[0];
      expect(alias.Properties.Name).toBe('live');
      const version = resources[refId(alias.Properties.FunctionVersion)!];
      expect(version.Type, id).toBe('AWS::Lambda::Version');
      expect(refId(version.Properties.FunctionName), id).toBe(id);
    }
  });

  it('gives every alias a deployment group: canary 10 % for 5 minutes, rolled back on its errors, API 5xx and the SLI', () => {
    const alarms = Object.fromEntries(ofType(resources, 'AWS::CloudWatch::Alarm'));
    for (const [aliasId, alias] of ofType(resources, 'AWS::Lambda::Alias')) {
      const update = alias.UpdatePolicy?.CodeDeployLambdaAliasUpdate;
      expect(update, aliasId).toBeDefined();
      const group = resources[refId(update.DeploymentGroupName)!];
      expect(group.Type).toBe('AWS::CodeDeploy::DeploymentGroup');
      expect(group.Properties.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
      expect(group.Properties.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      });
      expect(group.Properties.AlarmConfiguration.Enabled).toBe(true);
      const watched = group.Properties.AlarmConfiguration.Alarms.map((a: any) => alarms[refId(a.Name)!]);
      expect(watched.every(Boolean), aliasId).toBe(true);
      // The function's own Errors alarm: Lambda's Errors metric of exactly this function (every version of it).
      const own = watched.filter((a: any) => a.Properties.MetricName === 'Errors' && a.Properties.Namespace === 'AWS/Lambda');
      expect(own, aliasId).toHaveLength(1);
      expect(own[0].Properties.Dimensions).toEqual([{ Name: 'FunctionName', Value: alias.Properties.FunctionName }]);
      // And the stack-wide ones, by name.
      const names = watched.map((a: any) => JSON.stringify(a.Properties.AlarmName));
      for (const name of ROLLBACK_ALARMS)
        expect(
          names.some((n: string) => n.endsWith(`-${name}"`)),
          `${aliasId} ${name}`,
        ).toBe(true);
    }
    expect(ofType(resources, 'AWS::CodeDeploy::DeploymentGroup')).toHaveLength(ofType(resources, 'AWS::Lambda::Alias').length);
  });

  it('checks every new version before traffic: one BeforeAllowTraffic hook, CodeDeployHook_<stack>-PreTraffic, for every group', () => {
    const [hookId, hook] = hookOf(resources);
    expect(hook.Properties.FunctionName).toBe('CodeDeployHook_ShopWave-PreTraffic');
    const aliases = ofType(resources, 'AWS::Lambda::Alias');
    expect(aliases.length).toBeGreaterThanOrEqual(16);
    for (const [aliasId, alias] of aliases) {
      const update = alias.UpdatePolicy?.CodeDeployLambdaAliasUpdate;
      expect(refId(update.BeforeAllowTrafficHook), aliasId).toBe(hookId);
      expect(update.AfterAllowTrafficHook, aliasId).toBeUndefined();
    }
    // The hook itself is not deployed through a canary: no version, no alias, so no deployment group of its own.
    for (const type of ['AWS::Lambda::Alias', 'AWS::Lambda::Version'])
      expect(
        ofType(resources, type).filter(([, r]) => refId(r.Properties.FunctionName) === hookId),
        type,
      ).toEqual([]);
    // Bounded, with its own log group kept a month, and its errors alarmed with the deploy runbook.
    expect(hook.Properties.Timeout).toBeLessThanOrEqual(60);
    expect(resources[refId(hook.Properties.LoggingConfig.LogGroup)!].Properties.RetentionInDays).toBe(30);
    const errors = ofType(resources, 'AWS::CloudWatch::Alarm').filter(
      ([, a]) => a.Properties.MetricName === 'Errors' && refId(a.Properties.Dimensions?.[0]?.Value) === hookId,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0][1].Properties.AlarmDescription).toContain('Runbook: docs/runbooks/deploy-and-rollback.md');
  });

  it('probes each function by how it is triggered: consumers with an empty batch, APIs with a GET, schedules not at all', () => {
    const probes = probesOf(hookOf(resources)[1]);
    const aliased = ofType(resources, 'AWS::Lambda::Alias').map(([, a]) => refId(a.Properties.FunctionName)!);
    expect(Object.keys(probes).sort()).toEqual([...aliased].sort());
    const kindOf = (prefix: string) => Object.entries(probes).find(([id]) => id.startsWith(prefix))?.[1];
    expect(kindOf('OutboxRelayHandler')).toBe('stream');
    expect(kindOf('InventoryConsumerHandler')).toBe('sqs');
    expect(kindOf('OrdersApi')).toBe('api');
    expect(kindOf('HealthApi')).toBe('api');
    for (const scheduled of [
      'DeliveryReconcilerHandler',
      'PaymentReconcilerHandler',
      'TrackingFreshnessCheckHandler',
      'BackupsDailyExport',
    ])
      expect(kindOf(scheduled), scheduled).toBe('schedule');
    // The template's own wiring agrees: a mapping per consumer, a schedule per scheduled function.
    const mapped = new Set(ofType(resources, 'AWS::Lambda::EventSourceMapping').flatMap(([, m]) => refsIn(m.Properties.FunctionName)));
    for (const [id, kind] of Object.entries(probes))
      if (kind === 'sqs' || kind === 'stream')
        expect(
          [...mapped].some((ref) => ref === id || refId(resources[ref]?.Properties.FunctionName) === id),
          id,
        ).toBe(true);
  });

  it("gives the hook no more than it needs: read the deployments, report, read and probe the functions' versions", () => {
    const [hookId, hook] = hookOf(resources);
    const roleId = refId(hook.Properties.Role)!;
    const statements = Object.values(resources)
      .filter(
        (r) =>
          ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type) &&
          (r.Properties.Roles ?? []).some((x: any) => refId(x) === roleId),
      )
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const byAction = (action: string) =>
      statements.filter((st: any) => [st.Action].flat().includes(action)).flatMap((st: any) => [st.Resource].flat());
    expect(new Set(statements.flatMap((st: any) => [st.Action].flat()))).toEqual(
      new Set([
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'codedeploy:GetDeployment',
        'codedeploy:GetApplicationRevision',
        'codedeploy:PutLifecycleEventHookExecutionStatus',
        'lambda:GetFunctionConfiguration',
        'lambda:InvokeFunction',
      ]),
    );
    for (const st of statements) expect(st.Effect).toBe('Allow');
    const groups = ofType(resources, 'AWS::CodeDeploy::DeploymentGroup')
      .map(([id]) => id)
      .sort();
    // Each group's own ARN: `…:deploymentgroup:<application>/<group>`.
    const groupsIn = (arns: any[]) =>
      arns.flatMap((arn) => refsIn(arn).filter((id) => resources[id]?.Type === 'AWS::CodeDeploy::DeploymentGroup')).sort();
    expect(groupsIn(byAction('codedeploy:GetDeployment'))).toEqual(groups);
    expect(groupsIn(byAction('codedeploy:PutLifecycleEventHookExecutionStatus'))).toEqual(groups);
    for (const arn of [...byAction('codedeploy:GetDeployment'), ...byAction('codedeploy:PutLifecycleEventHookExecutionStatus')])
      expect(JSON.stringify(arn)).not.toContain('*');
    expect(byAction('codedeploy:GetApplicationRevision').map((arn) => refsIn(arn).filter((id) => id in resources))).toEqual([
      [ofType(resources, 'AWS::CodeDeploy::Application')[0][0]],
    ]);
    // Versions only (`<function ARN>:*`), never an unqualified function nor the hook; invoked only where probed.
    const versionsOf = (arns: any[]) =>
      arns.map((arn) => {
        const [, [getAtt, qualifier, ...rest]] = arn['Fn::Join'];
        expect([qualifier, rest, getAtt['Fn::GetAtt'][1]]).toEqual([':*', [], 'Arn']);
        return getAtt['Fn::GetAtt'][0] as string;
      });
    const probes = probesOf(hook);
    expect(versionsOf(byAction('lambda:GetFunctionConfiguration')).sort()).toEqual(Object.keys(probes).sort());
    const invoked = versionsOf(byAction('lambda:InvokeFunction')).sort();
    expect(invoked).toEqual(
      Object.keys(probes)
        .filter((id) => ['sqs', 'stream', 'api'].includes(probes[id]))
        .sort(),
    );
    expect(invoked).not.toContain(hookId);
    expect(invoked.length).toBeLessThan(Object.keys(probes).length);
  });

  it('points every trigger at the alias: event source mappings, schedules and API integrations', () => {
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping');
    expect(mappings.length).toBeGreaterThanOrEqual(10);
    for (const [id, m] of mappings) expect(typeOfRefs(resources, m.Properties.FunctionName), id).toEqual(['AWS::Lambda::Alias']);
    const lambdaTargets = ofType(resources, 'AWS::Events::Rule')
      .flatMap(([, r]) => r.Properties.Targets ?? [])
      .filter((t: any) => typeOfRefs(resources, t.Arn).length > 0);
    expect(lambdaTargets.length).toBeGreaterThanOrEqual(3);
    for (const t of lambdaTargets) expect(typeOfRefs(resources, t.Arn), t.Id).toEqual(['AWS::Lambda::Alias']);
    const methods = ofType(resources, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.Integration?.Type === 'AWS_PROXY');
    expect(methods.length).toBeGreaterThanOrEqual(13);
    for (const [id, m] of methods) expect(typeOfRefs(resources, m.Properties.Integration.Uri), id).toEqual(['AWS::Lambda::Alias']);
    // Whoever may invoke (API Gateway, EventBridge) may invoke the alias, not the unqualified function.
    for (const [id, p] of ofType(resources, 'AWS::Lambda::Permission'))
      expect(typeOfRefs(resources, p.Properties.FunctionName), id).toEqual(['AWS::Lambda::Alias']);
  });

  it("gives the pipeline's acceptance step a role of its own: trusted by the deploy role only, granted this stack's resources", () => {
    const [[roleId, role], ...more] = ofType(resources, 'AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(r.Properties.RoleName ?? '').includes('-acceptance'),
    );
    expect(more).toEqual([]);
    const [trust, ...others] = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(others).toEqual([]);
    expect(trust.Action).toBe('sts:AssumeRole');
    expect(JSON.stringify(trust.Principal)).toContain(':root');
    expect(JSON.stringify(trust.Condition.ArnEquals['aws:PrincipalArn'])).toContain(':role/ShopWavePipelineDeploy');
    expect(role.Properties.MaxSessionDuration).toBe(3600);
    const statements = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: any) => refId(r) === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st: any) => [st.Action].flat()).sort();
    expect(new Set(actions)).toEqual(
      new Set([
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:GetParameterHistory',
        'ssm:DescribeParameters',
        'ssm:PutParameter',
        'cognito-idp:AdminGetUser',
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminSetUserPassword',
        'cloudformation:DescribeStacks',
        'cloudwatch:DescribeAlarms',
      ]),
    );
    // Each on named resources of this stack (a Ref/GetAtt, or the stack's own id), never a wildcard.
    for (const st of statements)
      for (const r of [st.Resource].flat()) {
        expect(JSON.stringify(r), JSON.stringify(st.Action)).not.toMatch(/"\*"|:\*"/);
        expect(refsIn(r).length + (JSON.stringify(r).includes('AWS::StackId') ? 1 : 0), JSON.stringify(r)).toBeGreaterThan(0);
      }
  });

  it('keeps every published version when a newer one replaces it (the manual rollback shifts the alias back)', () => {
    const versions = ofType(resources, 'AWS::Lambda::Version');
    expect(versions.length).toBeGreaterThanOrEqual(16);
    for (const [id, v] of versions) expect(v.DeletionPolicy, id).toBe('Retain');
  });
});

describe('target aws, -c deployStrategy=all-at-once -c stage=sandbox', () => {
  let resources: Resources;
  let stackName: string;
  beforeAll(() => {
    const out = synth({ target: 'aws', deployStrategy: 'all-at-once', stage: 'sandbox' });
    resources = out.resources;
    stackName = out.stack.stackName;
  });

  it('shifts each alias at once (a personal sandbox), still rolled back on the same alarms', () => {
    const groups = ofType(resources, 'AWS::CodeDeploy::DeploymentGroup');
    expect(groups.length).toBeGreaterThanOrEqual(16);
    for (const [id, g] of groups) {
      expect(g.Properties.DeploymentConfigName, id).toBe('CodeDeployDefault.LambdaAllAtOnce');
      expect(g.Properties.AlarmConfiguration.Alarms, id).toHaveLength(1 + ROLLBACK_ALARMS.length);
    }
  });

  it('names the stack and every name built from it after the stage', () => {
    expect(stackName).toBe('ShopWave-sandbox');
    // Within Lambda's 64 characters with the longest stage (20): CodeDeployHook_ShopWave-<stage>-PreTraffic.
    expect(hookOf(resources)[1].Properties.FunctionName).toBe('CodeDeployHook_ShopWave-sandbox-PreTraffic');
    expect(`CodeDeployHook_ShopWave-${'s'.repeat(20)}-PreTraffic`.length).toBeLessThanOrEqual(64);
    const alarmNames = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => JSON.stringify(a.Properties.AlarmName));
    expect(alarmNames.length).toBeGreaterThan(20);
    for (const name of alarmNames) expect(name).toMatch(/^"ShopWave-sandbox-/);
    expect(ofType(resources, 'AWS::Events::EventBus')[0][1].Properties.Name).toBe('ShopWave-sandboxBus');
    expect(ofType(resources, 'AWS::ApiGateway::RestApi')[0][1].Properties.Name).toBe('ShopWave-sandbox');
    expect(ofType(resources, 'AWS::SSM::Parameter').map(([, p]) => p.Properties.Name)).toContain('/ShopWave-sandbox/ordering');
    expect(ofType(resources, 'AWS::CloudWatch::Dashboard')[0][1].Properties.DashboardName).toBe('ShopWave-sandbox-Operations');
  });
});

describe.each(['localstack', 'offline'])('target %s', (target) => {
  let resources: Resources;
  let stackName: string;
  beforeAll(() => {
    const out = synth({ target });
    resources = out.resources;
    stackName = out.stack.stackName;
  });

  it('has no alias, version or deployment group (no CodeDeploy there): triggers invoke the functions', () => {
    for (const type of ['AWS::Lambda::Alias', 'AWS::Lambda::Version', 'AWS::CodeDeploy::DeploymentGroup', 'AWS::CodeDeploy::Application'])
      expect(ofType(resources, type), type).toEqual([]);
    for (const [id, m] of ofType(resources, 'AWS::Lambda::EventSourceMapping'))
      expect(typeOfRefs(resources, m.Properties.FunctionName), id).toEqual(['AWS::Lambda::Function']);
  });

  it('has no pre-traffic hook (nothing deploys through CodeDeploy there)', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(16);
    for (const [id, fn] of functions) {
      expect(JSON.stringify(fn.Properties.FunctionName ?? ''), id).not.toContain('CodeDeployHook_');
      expect(fn.Properties.Environment?.Variables?.PRE_TRAFFIC_PROBES, id).toBeUndefined();
    }
  });

  it('keeps the stack name ShopWave without a stage', () => expect(stackName).toBe('ShopWave'));

  it('holds no IAM user or access key', () => expect(longLivedKeys(resources)).toEqual([]));
});

describe('context validation', () => {
  const build = (context: Record<string, string>) => () => buildApp({ outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-ctx-')), context });

  it('refuses a stage that cannot be part of resource names, and a stage offline', () => {
    expect(build({ target: 'aws', stage: 'My_Sandbox' })).toThrow(/context 'stage' must match/);
    expect(build({ target: 'aws', stage: 'a'.repeat(21) })).toThrow(/context 'stage' must match/);
    expect(build({ target: 'offline', stage: 'sandbox' })).toThrow(/offline runtime/);
  });

  it('refuses an unknown deploy strategy', () => {
    expect(build({ target: 'aws', deployStrategy: 'linear' })).toThrow(/deployStrategy/);
  });
});

describe('-c githubRepository=acme/shopwave: the pipeline access stack', () => {
  let resources: Resources;
  let withoutIt: string[];
  beforeAll(() => {
    const { app } = buildApp({
      outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-access-')),
      context: { target: 'aws', githubRepository: 'acme/shopwave', 'aws:cdk:bundling-stacks': [] },
    });
    const assembly = app.synth(); // cdk-nag runs on this stack too
    resources = assembly.getStackByName(PIPELINE_ACCESS_STACK_NAME).template.Resources;
    const plain = buildApp({
      outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-noaccess-')),
      context: { target: 'aws', 'aws:cdk:bundling-stacks': [] },
    });
    withoutIt = plain.app.node.children.map((c) => c.node.id);
  });

  it("creates GitHub's OIDC provider for the STS audience", () => {
    const [[, provider]] = ofType(resources, 'AWS::IAM::OIDCProvider');
    expect(provider.Properties.Url).toBe('https://token.actions.githubusercontent.com');
    expect(provider.Properties.ClientIdList).toEqual(['sts.amazonaws.com']);
  });

  it("lets only workflows of that repository's main branch assume the deploy role, by web identity", () => {
    const [[, role]] = ofType(resources, 'AWS::IAM::Role');
    const [statement, ...others] = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(others).toEqual([]);
    expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(refId(statement.Principal.Federated)).toBe(ofType(resources, 'AWS::IAM::OIDCProvider')[0][0]);
    expect(statement.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': 'repo:acme/shopwave:ref:refs/heads/main',
      },
    });
  });

  it("allows the deploy role nothing but assuming the four CDK bootstrap roles and the sandbox stage's acceptance role", () => {
    const statements = ofType(resources, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const [[, role]] = ofType(resources, 'AWS::IAM::Role');
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.RoleName).toBe('ShopWavePipelineDeploy');
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Action).toBe('sts:AssumeRole');
    }
    const arns = statements.flatMap((st: any) => [st.Resource].flat()).map((r: any) => JSON.stringify(r));
    expect(arns).toHaveLength(5);
    for (const purpose of ['deploy', 'file-publishing', 'image-publishing', 'lookup'])
      expect(arns.some((a: string) => a.includes(`:role/cdk-hnb659fds-${purpose}-role-`))).toBe(true);
    expect(arns.filter((a: string) => a.endsWith(':role/ShopWave-sandbox-acceptance"]]}'))).toHaveLength(1);
    for (const arn of arns) expect(arn).not.toContain('*');
  });

  it('holds no IAM user or access key', () => expect(longLivedKeys(resources)).toEqual([]));

  it('exists only when asked for, and only for an owner/name on target aws', () => {
    expect(withoutIt).not.toContain(PIPELINE_ACCESS_STACK_NAME);
    const build = (context: Record<string, string>) => () =>
      buildApp({ outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-ctx-')), context });
    expect(build({ target: 'aws', githubRepository: 'acme' })).toThrow(/owner\/name/);
    expect(build({ target: 'aws', githubRepository: 'acme/shop wave' })).toThrow(/owner\/name/);
    expect(build({ target: 'localstack', githubRepository: 'acme/shopwave' })).toThrow(/target=aws/);
  });
});
