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

/** What a pipeline must never need: long-lived credentials. */
const longLivedKeys = (resources: Resources) =>
  Object.entries(resources)
    .filter(([, r]) => ['AWS::IAM::User', 'AWS::IAM::AccessKey'].includes(r.Type))
    .map(([id]) => id);

describe('target aws (default: canary)', () => {
  let resources: Resources;
  beforeAll(() => ({ resources } = synth({ target: 'aws' })));

  it('holds no IAM user or access key', () => expect(longLivedKeys(resources)).toEqual([]));

  it('publishes every function as a version behind one `live` alias', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
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
