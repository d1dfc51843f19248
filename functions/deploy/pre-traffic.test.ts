/**
 * The pre-traffic hook against fake CodeDeploy and Lambda clients (`{ send }` objects that record the commands
 * and answer like the services), and its probes against the real handlers they stand for: an empty batch through
 * Powertools' processPartialResponse, the API probe through the route table.
 */
import {
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '../../test/support/lambda';
import { createPreTrafficHook, functionNameOf, parseAppSpec, type HookDeps, type Sender } from './pre-traffic';
import { probeEvent, type ProbeKind } from './probes';

const EVENT = { DeploymentId: 'd-ABC123', LifecycleEventHookExecutionId: 'exec-1' };

/** What CloudFormation's CodeDeployLambdaAliasUpdate hands CodeDeploy (the docs' Lambda AppSpec shape). */
const appSpec = (name: string, target = '7') =>
  JSON.stringify({
    version: 0.0,
    Resources: [
      { Fn: { Type: 'AWS::Lambda::Function', Properties: { Name: name, Alias: 'live', CurrentVersion: '6', TargetVersion: target } } },
    ],
    Hooks: [{ BeforeAllowTraffic: 'CodeDeployHook_ShopWave-PreTraffic' }],
  });

interface Sent {
  command: string;
  input: any;
}

/** A client whose `send` records each command and answers with `answer(command)` (which may throw or hang). */
function fakeClient(sent: Sent[], answer: (command: any) => unknown): Sender {
  return {
    send: async (command: any) => {
      sent.push({ command: command.constructor.name, input: command.input });
      return answer(command);
    },
  };
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

interface Scenario {
  probes?: Record<string, ProbeKind>;
  probesFn?: () => Record<string, ProbeKind>;
  /** The deployment as GetDeployment returns it; default: a CloudFormation one, the AppSpec only by its sha256. */
  getDeployment?: () => unknown;
  revision?: string;
  state?: string;
  invoke?: () => unknown;
  put?: () => unknown;
}

function run(s: Scenario) {
  const sent: Sent[] = [];
  const codedeploy = fakeClient(sent, (c) => {
    if (c instanceof GetDeploymentCommand)
      return s.getDeployment
        ? s.getDeployment()
        : {
            deploymentInfo: {
              applicationName: 'ShopWave-DeploymentsApplication',
              deploymentGroupName: 'ShopWave-DeploymentsOrdersApi',
              computePlatform: 'Lambda',
              revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: 'abc' } },
            },
          };
    if (c instanceof GetApplicationRevisionCommand)
      return {
        applicationName: c.input.applicationName,
        revision: { revisionType: 'String', string: { content: s.revision ?? appSpec('shopwave-orders-api') } },
      };
    if (c instanceof PutLifecycleEventHookExecutionStatusCommand) return s.put ? s.put() : {};
    throw new Error(`unexpected ${c.constructor.name}`);
  });
  const lambda = fakeClient(sent, (c) => {
    if (c instanceof GetFunctionConfigurationCommand)
      return { FunctionName: c.input.FunctionName, Version: c.input.Qualifier, State: s.state ?? 'Active' };
    if (c instanceof InvokeCommand) return s.invoke ? s.invoke() : { StatusCode: 200, Payload: encode({ batchItemFailures: [] }) };
    throw new Error(`unexpected ${c.constructor.name}`);
  });
  const deps: HookDeps = {
    codedeploy,
    lambda,
    probes: s.probesFn ?? (() => s.probes ?? { 'shopwave-orders-api': 'sqs' }),
    timeouts: { callMs: 200, probeMs: 200 },
  };
  const reported = () => sent.filter((x) => x.command === 'PutLifecycleEventHookExecutionStatusCommand').map((x) => x.input);
  return { sent, hook: createPreTrafficHook(deps), reported };
}

const failedWith = (reported: any[]) => {
  expect(reported).toEqual([{ deploymentId: 'd-ABC123', lifecycleEventHookExecutionId: 'exec-1', status: 'Failed' }]);
};

describe('the AppSpec', () => {
  it('names the function, its alias and the versions; a number version is read as its string', () => {
    expect(parseAppSpec(appSpec('fn-a', '12'))).toEqual([{ name: 'fn-a', alias: 'live', currentVersion: '6', targetVersion: '12' }]);
    const numeric = JSON.stringify({ Resources: [{ F: { Type: 'AWS::Lambda::Function', Properties: { Name: 'f', TargetVersion: 3 } } }] });
    expect(parseAppSpec(numeric)[0].targetVersion).toBe('3');
  });

  it('refuses what is not a Lambda AppSpec', () => {
    expect(() => parseAppSpec('}')).toThrow(/not JSON/);
    expect(() => parseAppSpec(JSON.stringify({ Resources: [] }))).toThrow(/not a Lambda AppSpec/);
    expect(() =>
      parseAppSpec(JSON.stringify({ Resources: [{ T: { Type: 'AWS::ECS::Service', Properties: { Name: 'x', TargetVersion: '1' } } }] })),
    ).toThrow(/no AWS::Lambda::Function/);
  });

  it('reads a function name out of an ARN', () => {
    expect(functionNameOf('arn:aws:lambda:eu-west-1:123456789012:function:shopwave-orders-api')).toBe('shopwave-orders-api');
    expect(functionNameOf('arn:aws:lambda:eu-west-1:123456789012:function:shopwave-orders-api:live')).toBe('shopwave-orders-api');
    expect(functionNameOf('shopwave-orders-api')).toBe('shopwave-orders-api');
  });
});

describe('the pre-traffic hook', () => {
  it('reads the deployment, fetches the AppSpec by its revision, invokes <fn>:<TargetVersion> and reports Succeeded', async () => {
    const { hook, sent } = run({});
    await expect(hook(EVENT)).resolves.toEqual({ status: 'Succeeded', reason: undefined });
    expect(sent.map((x) => x.command)).toEqual([
      'GetDeploymentCommand',
      'GetApplicationRevisionCommand',
      'GetFunctionConfigurationCommand',
      'InvokeCommand',
      'PutLifecycleEventHookExecutionStatusCommand',
    ]);
    expect(sent[0].input).toEqual({ deploymentId: 'd-ABC123' });
    expect(sent[1].input).toEqual({
      applicationName: 'ShopWave-DeploymentsApplication',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: 'abc' } },
    });
    expect(sent[2].input).toEqual({ FunctionName: 'shopwave-orders-api', Qualifier: '7' });
    const invoke = sent[3].input;
    expect(invoke.FunctionName).toBe('shopwave-orders-api:7');
    expect(invoke.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(invoke.Payload))).toEqual({ Records: [] });
    expect(sent[4].input).toEqual({ deploymentId: 'd-ABC123', lifecycleEventHookExecutionId: 'exec-1', status: 'Succeeded' });
  });

  it('takes the AppSpec from the deployment itself when it carries the content', async () => {
    const { hook, sent } = run({
      getDeployment: () => ({
        deploymentInfo: {
          applicationName: 'app',
          computePlatform: 'Lambda',
          revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec('shopwave-orders-api', '9') } },
        },
      }),
    });
    await expect(hook(EVENT)).resolves.toMatchObject({ status: 'Succeeded' });
    expect(sent.map((x) => x.command)).not.toContain('GetApplicationRevisionCommand');
    expect(sent.find((x) => x.command === 'InvokeCommand')!.input.FunctionName).toBe('shopwave-orders-api:9');
  });

  it('reports Failed when the new version answers with a FunctionError', async () => {
    const { hook, reported } = run({
      invoke: () => ({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: encode({ errorType: 'Error', errorMessage: 'boom at init' }),
      }),
    });
    const result = await hook(EVENT);
    expect(result.reason).toMatch(/shopwave-orders-api:7 answered the sqs probe with a Unhandled error: .*boom at init/);
    failedWith(reported());
  });

  it('sends APIs a GET of an unknown path: Succeeded on a 4xx answer, Failed on a 5xx', async () => {
    const ok = run({
      probes: { 'shopwave-orders-api': 'api' },
      invoke: () => ({ StatusCode: 200, Payload: encode({ statusCode: 405, body: '{}' }) }),
    });
    await expect(ok.hook(EVENT)).resolves.toMatchObject({ status: 'Succeeded' });
    const event = JSON.parse(new TextDecoder().decode(ok.sent.find((x) => x.command === 'InvokeCommand')!.input.Payload));
    expect(event).toMatchObject({
      httpMethod: 'GET',
      path: '/__codedeploy/pre-traffic',
      resource: '/__codedeploy/pre-traffic',
      body: null,
    });

    const broken = run({
      probes: { 'shopwave-orders-api': 'api' },
      invoke: () => ({ StatusCode: 200, Payload: encode({ statusCode: 502, body: '{}' }) }),
    });
    await expect(broken.hook(EVENT)).resolves.toMatchObject({
      status: 'Failed',
      reason: expect.stringMatching(/answered the api probe with 502/),
    });
    failedWith(broken.reported());

    const garbled = run({ probes: { 'shopwave-orders-api': 'api' }, invoke: () => ({ StatusCode: 200, Payload: encode(null) }) });
    await expect(garbled.hook(EVENT)).resolves.toMatchObject({ status: 'Failed', reason: expect.stringMatching(/without a statusCode/) });
  });

  it('reports Failed when the invocation throws, and when it does not answer in time', async () => {
    const throwing = run({
      invoke: () => {
        throw Object.assign(new Error('Function not found: shopwave-orders-api:7'), { name: 'ResourceNotFoundException' });
      },
    });
    await expect(throwing.hook(EVENT)).resolves.toMatchObject({ status: 'Failed', reason: 'Function not found: shopwave-orders-api:7' });
    failedWith(throwing.reported());

    const hanging = run({ invoke: () => new Promise(() => {}) });
    await expect(hanging.hook(EVENT)).resolves.toMatchObject({
      status: 'Failed',
      reason: 'Invoke shopwave-orders-api:7 did not answer within 200 ms',
    });
    failedWith(hanging.reported());
  });

  it('reports Failed when its own reading fails: GetDeployment throws or hangs, a bad AppSpec, an unknown function', async () => {
    const denied = run({
      getDeployment: () => {
        throw Object.assign(new Error('User is not authorized to perform: codedeploy:GetDeployment'), { name: 'AccessDeniedException' });
      },
    });
    await expect(denied.hook(EVENT)).resolves.toMatchObject({ status: 'Failed', reason: expect.stringMatching(/not authorized/) });
    failedWith(denied.reported());
    expect(denied.sent.map((x) => x.command)).toEqual(['GetDeploymentCommand', 'PutLifecycleEventHookExecutionStatusCommand']);

    const slow = run({ getDeployment: () => new Promise(() => {}) });
    await expect(slow.hook(EVENT)).resolves.toMatchObject({ status: 'Failed', reason: 'GetDeployment did not answer within 200 ms' });
    failedWith(slow.reported());

    const garbage = run({ revision: 'version: 0.0' });
    await expect(garbage.hook(EVENT)).resolves.toMatchObject({ status: 'Failed', reason: expect.stringMatching(/not JSON/) });

    const unknown = run({ probes: { 'some-other-function': 'sqs' } });
    await expect(unknown.hook(EVENT)).resolves.toMatchObject({
      status: 'Failed',
      reason: expect.stringMatching(/no probe is configured for shopwave-orders-api/),
    });
    expect(unknown.sent.map((x) => x.command)).not.toContain('InvokeCommand');

    const badConfig = run({
      probesFn: () => {
        throw new Error('environment variable PRE_TRAFFIC_PROBES is not valid JSON');
      },
    });
    await expect(badConfig.hook(EVENT)).resolves.toMatchObject({ status: 'Failed', reason: expect.stringMatching(/PRE_TRAFFIC_PROBES/) });
    failedWith(badConfig.reported());
  });

  it('does not invoke a scheduled function: checks that its target version exists and is Active', async () => {
    const scheduled = run({ probes: { 'shopwave-orders-api': 'schedule' } });
    await expect(scheduled.hook(EVENT)).resolves.toMatchObject({ status: 'Succeeded' });
    expect(scheduled.sent.map((x) => x.command)).toEqual([
      'GetDeploymentCommand',
      'GetApplicationRevisionCommand',
      'GetFunctionConfigurationCommand',
      'PutLifecycleEventHookExecutionStatusCommand',
    ]);
    expect(scheduled.sent[2].input).toEqual({ FunctionName: 'shopwave-orders-api', Qualifier: '7' });

    const pending = run({ probes: { 'shopwave-orders-api': 'schedule' }, state: 'Failed' });
    await expect(pending.hook(EVENT)).resolves.toMatchObject({
      status: 'Failed',
      reason: expect.stringMatching(/shopwave-orders-api:7 is Failed, not Active/),
    });
    failedWith(pending.reported());
  });

  it('fails the invocation when the report itself fails (Lambda retries it), and without the ids reports nothing', async () => {
    const { hook } = run({
      put: () => {
        throw new Error('throttled');
      },
    });
    await expect(hook(EVENT)).rejects.toThrow('throttled');
    const none = run({});
    await expect(none.hook({} as never)).rejects.toThrow(/not a CodeDeploy lifecycle event/);
    expect(none.sent).toEqual([]);
  });
});

describe('the probes against the real handlers', () => {
  it('an empty batch: the outbox relay (DynamoDB stream) and an event consumer (SQS) answer it with no failure', async () => {
    process.env.EVENT_BUS_NAME = 'probe-bus';
    process.env.IDEMPOTENCY_TABLE_NAME = 'probe-idempotency';
    const relay = await import('../outbox/relay');
    const records = probeEvent('stream', 'd-1') as DynamoDBStreamEvent;
    await expect(relay.handler(records, lambdaContext('relay'))).resolves.toEqual({ batchItemFailures: [] });
    const { createEventConsumer } = await import('../shared/event-consumer');
    let handled = 0;
    const consumer = createEventConsumer(['order.shipped'], {
      'order.shipped': async () => {
        handled++;
      },
    });
    await expect(consumer(probeEvent('sqs', 'd-1') as SQSEvent, lambdaContext('consumer'))).resolves.toEqual({ batchItemFailures: [] });
    expect(handled).toBe(0);
  });

  it('the API probe: every API handler answers it with a 4xx before reaching any dependency', async () => {
    // Every table, the token issuer's keys and the ordering switch unreachable: a probe that needed one would 5xx.
    const saved = { ...process.env };
    for (const key of ['CATALOG', 'CUSTOMERS', 'INVENTORY', 'ORDERS', 'RESTAURANT', 'OUTBOX', 'IDEMPOTENCY'])
      process.env[`${key}_TABLE_NAME`] = `probe-${key.toLowerCase()}`;
    Object.assign(process.env, {
      AUTH_ISSUER: 'https://issuer.invalid',
      AUTH_AUDIENCE: 'probe',
      AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks.json',
      ORDERING_PARAMETER_NAME: '/probe/ordering',
      EVENT_BUS_NAME: 'probe-bus',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:1',
    });
    try {
      const answers: Record<string, number> = {};
      type ApiHandler = (e: APIGatewayProxyEvent, c: ReturnType<typeof lambdaContext>) => Promise<{ statusCode: number }>;
      const entries: Record<string, () => Promise<{ handler: unknown }>> = {
        'catalog/api': () => import('../catalog/api'),
        'customers/api': () => import('../customers/api'),
        'health/api': () => import('../health/api'),
        'health/ready': () => import('../health/ready'),
        'orders/api': () => import('../orders/api'),
        'restaurant/api': () => import('../restaurant/api'),
        'shipping/api': () => import('../shipping/api'),
      };
      for (const [entry, load] of Object.entries(entries)) {
        const handler = (await load()).handler as ApiHandler;
        answers[entry] = (await handler(probeEvent('api', 'd-1') as APIGatewayProxyEvent, lambdaContext(entry))).statusCode;
      }
      // 405 from the route table; 401 where authentication comes first (customer token, merchant key).
      expect(answers).toEqual({
        'catalog/api': 405,
        'customers/api': 401,
        'health/api': 405,
        'health/ready': 405,
        'orders/api': 401,
        'restaurant/api': 401,
        'shipping/api': 401,
      });
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('is only built for kinds that are invoked', () => {
    expect(() => probeEvent('schedule', 'd-1')).toThrow(/not invoked/);
  });
});

describe('the real SDK clients against HTTP stand-ins of CodeDeploy (JSON 1.1) and Lambda (REST)', () => {
  it('sends and reads the wire shapes: the revision by its hash, the qualified invoke, the status', async () => {
    const seen: string[] = [];
    let functionError: string | undefined;
    const read = (req: IncomingMessage) =>
      new Promise<string>((resolve) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => resolve(body));
      });
    const server = createServer(async (req, res) => {
      const body = await read(req);
      const target = req.headers['x-amz-target'];
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
      if (target) {
        seen.push(`${target} ${body}`);
        if (target === 'CodeDeploy_20141006.GetDeployment')
          return json(200, {
            deploymentInfo: {
              applicationName: 'app',
              computePlatform: 'Lambda',
              revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: 'abc' } },
            },
          });
        if (target === 'CodeDeploy_20141006.GetApplicationRevision')
          return json(200, {
            applicationName: 'app',
            revision: { revisionType: 'String', string: { content: appSpec('shopwave-orders-api', '7') } },
          });
        if (target === 'CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus')
          return json(200, { lifecycleEventHookExecutionId: 'exec-1' });
        return json(400, { __type: 'UnknownOperationException' });
      }
      seen.push(`${req.method} ${req.url}${body ? ` ${body}` : ''}`);
      if (req.method === 'GET' && req.url?.startsWith('/2015-03-31/functions/shopwave-orders-api/configuration'))
        return json(200, { FunctionName: 'shopwave-orders-api', Version: '7', State: 'Active' });
      if (req.method === 'POST' && req.url === '/2015-03-31/functions/shopwave-orders-api%3A7/invocations')
        return functionError
          ? json(200, { errorType: 'Error', errorMessage: 'boom' }, { 'x-amz-function-error': functionError })
          : json(200, { statusCode: 405, body: '{}' });
      return json(404, { Type: 'User', message: `no ${req.method} ${req.url}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const hook = createPreTrafficHook({
        codedeploy: new CodeDeployClient({ endpoint, maxAttempts: 1 }),
        lambda: new LambdaClient({ endpoint, maxAttempts: 1 }),
        probes: () => ({ 'shopwave-orders-api': 'api' }),
        timeouts: { callMs: 5_000, probeMs: 5_000 },
      });
      await expect(hook(EVENT)).resolves.toEqual({ status: 'Succeeded', reason: undefined });
      expect(seen.map((line) => line.replace(/ \{.*$/, ''))).toEqual([
        'CodeDeploy_20141006.GetDeployment',
        'CodeDeploy_20141006.GetApplicationRevision',
        'GET /2015-03-31/functions/shopwave-orders-api/configuration?Qualifier=7',
        'POST /2015-03-31/functions/shopwave-orders-api%3A7/invocations',
        'CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus',
      ]);
      expect(JSON.parse(seen[3].slice(seen[3].indexOf(' {') + 1))).toMatchObject({ httpMethod: 'GET', path: '/__codedeploy/pre-traffic' });
      expect(JSON.parse(seen[4].slice(seen[4].indexOf(' ') + 1))).toEqual({
        deploymentId: 'd-ABC123',
        lifecycleEventHookExecutionId: 'exec-1',
        status: 'Succeeded',
      });
      functionError = 'Unhandled';
      seen.length = 0;
      await expect(hook(EVENT)).resolves.toMatchObject({ status: 'Failed', reason: expect.stringMatching(/Unhandled error: .*boom/) });
      expect(JSON.parse(seen.at(-1)!.slice(seen.at(-1)!.indexOf(' ') + 1)).status).toBe('Failed');
    } finally {
      server.close();
    }
  });
});
