/**
 * The game-day target for a deployed stack (AWS or LocalStack, by the SDK's usual endpoint settings): functions and
 * rules are found by watch name among the stack's resources (CloudFormation ListStackResources), faults go into the
 * function's environment (UpdateFunctionConfiguration, the rest of the environment kept), rules are changed with
 * DisableRule / EnableRule / PutRule.
 */
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { FAULTS_ENV } from '../../functions/shared/faults/config';
import type { GameDayTarget } from './inject';

export function awsTarget(stackName: string): GameDayTarget {
  const lambda = new LambdaClient({});
  const events = new EventBridgeClient({});
  let resources: Promise<{ logicalId: string; physicalId: string; type: string }[]> | undefined;
  const list = () =>
    (resources ??= (async () => {
      const out: { logicalId: string; physicalId: string; type: string }[] = [];
      for await (const page of paginateListStackResources({ client: new CloudFormationClient({}) }, { StackName: stackName })) {
        for (const r of page.StackResourceSummaries ?? [])
          out.push({ logicalId: r.LogicalResourceId!, physicalId: r.PhysicalResourceId!, type: r.ResourceType! });
      }
      return out;
    })());
  const find = async (watch: string, type: string) => {
    const re = new RegExp(`^${watch}(Handler)?[0-9A-F]{8}$`);
    const found = (await list()).filter((r) => r.type === type && re.test(r.logicalId));
    if (found.length !== 1) throw new Error(`expected one ${type} named ${watch} in stack ${stackName}, found ${found.length}`);
    return found[0].physicalId;
  };
  // A rule's physical id is "<bus>|<name>" for a custom bus, or its name.
  const ruleName = (physical: string) => physical.split('|').at(-1)!;
  const ruleBus = (physical: string) => (physical.includes('|') ? physical.split('|')[0] : undefined);
  return {
    name: stackName,
    getFaultsVar: async (watch) => {
      const physical = await find(watch, 'AWS::Lambda::Function');
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: physical }));
      return { physical, value: config.Environment?.Variables?.[FAULTS_ENV] };
    },
    setFaultsVar: async (watch, value) => {
      const physical = await find(watch, 'AWS::Lambda::Function');
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: physical }));
      const variables = { ...config.Environment?.Variables };
      if (value === undefined) delete variables[FAULTS_ENV];
      else variables[FAULTS_ENV] = value;
      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: physical, Environment: { Variables: variables } }));
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: physical });
    },
    getRule: async (watch) => {
      const physical = await find(watch, 'AWS::Events::Rule');
      const r = await events.send(new DescribeRuleCommand({ Name: ruleName(physical), EventBusName: ruleBus(physical) }));
      return { physical, state: r.State === 'DISABLED' ? 'DISABLED' : 'ENABLED', eventPattern: r.EventPattern };
    },
    setRule: async (watch, rule) => {
      const physical = await find(watch, 'AWS::Events::Rule');
      const Name = ruleName(physical);
      const EventBusName = ruleBus(physical);
      const current = await events.send(new DescribeRuleCommand({ Name, EventBusName }));
      if (rule.eventPattern !== undefined && rule.eventPattern !== current.EventPattern)
        await events.send(
          new PutRuleCommand({ Name, EventBusName, EventPattern: rule.eventPattern, State: rule.state, Description: current.Description }),
        );
      if (rule.state === 'DISABLED') await events.send(new DisableRuleCommand({ Name, EventBusName }));
      else await events.send(new EnableRuleCommand({ Name, EventBusName }));
    },
  };
}

/** The offline platform started by `npm start`, through its /ops game-day API (.offline/endpoints.json's `api`). */
export async function offlineApi(api: string) {
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${api}/ops/api/game-day${p}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(json.message ?? `HTTP ${res.status}`);
    return json;
  };
  return {
    status: () => call('GET', ''),
    inject: (scenario: string, by: string) => call('POST', '/inject', { scenario, by }),
    clear: (scenario: string | undefined, by: string) => call('POST', '/clear', { scenario, by }),
  };
}
