/**
 * Game-day faults on a deployed stack (AWS or LocalStack): sets or clears SHOPWAVE_FAULTS on the function that
 * carries the fault, keeping the rest of its environment. docs/game-days/ has the facilitator's script.
 *   npx tsx scripts/game-day.ts inject restaurant-drops-orders [--stack ShopWave]
 *   npx tsx scripts/game-day.ts clear [--stack ShopWave]
 *   npx tsx scripts/game-day.ts status [--stack ShopWave]
 * Offline, use `npm start -- --fault <name>` or the Game day section of the /ops page instead.
 */
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { parseArgs } from 'node:util';
import { FAULTS, type Fault } from '../functions/shared/game-day';

/** Which function each fault lives in, by the logical-id prefix CDK gives it (lib/services/<service>.ts). */
const FAULT_FUNCTION: Record<Fault, string> = { 'restaurant-drops-orders': 'RestaurantConsumerHandler' };

async function functionNames(stackName: string, logicalIdPrefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListStackResources({ client: new CloudFormationClient({}) }, { StackName: stackName })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType === 'AWS::Lambda::Function' && r.LogicalResourceId?.startsWith(logicalIdPrefix)) names.push(r.PhysicalResourceId!);
    }
  }
  if (names.length !== 1) throw new Error(`expected one function ${logicalIdPrefix}* in stack ${stackName}, found ${names.length}`);
  return names;
}

async function setFaults(lambda: LambdaClient, functionName: string, change: (current: string[]) => string[]): Promise<string[]> {
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  const variables = { ...config.Environment?.Variables };
  const current = (variables.SHOPWAVE_FAULTS ?? '').split(',').filter(Boolean);
  const next = change(current);
  if (next.length) variables.SHOPWAVE_FAULTS = next.join(',');
  else delete variables.SHOPWAVE_FAULTS;
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: functionName, Environment: { Variables: variables } }));
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 120 }, { FunctionName: functionName });
  return next;
}

const { positionals, values } = parseArgs({ options: { stack: { type: 'string', default: 'ShopWave' } }, allowPositionals: true });
const [command, fault] = positionals;
const usage = `usage: npx tsx scripts/game-day.ts inject <${Object.keys(FAULTS).join('|')}> | clear | status [--stack ShopWave]`;
if (!['inject', 'clear', 'status'].includes(command) || (command === 'inject' && !(fault in FAULTS))) {
  console.error(usage);
  process.exit(2);
}

const lambda = new LambdaClient({});
const faults = command === 'inject' ? [fault as Fault] : (Object.keys(FAULTS) as Fault[]);
for (const f of faults) {
  const [name] = await functionNames(values.stack!, FAULT_FUNCTION[f]);
  if (command === 'status') {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    const on = (config.Environment?.Variables?.SHOPWAVE_FAULTS ?? '').split(',').includes(f);
    console.log(`${f}: ${on ? 'ON' : 'off'} (${name})`);
  } else {
    const active = await setFaults(lambda, name, (current) =>
      command === 'inject' ? [...new Set([...current, f])] : current.filter((c) => c !== f),
    );
    console.log(`${name}: SHOPWAVE_FAULTS=${active.join(',') || '(none)'} at ${new Date().toISOString()}`);
  }
}
