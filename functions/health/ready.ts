/**
 * GET /ready: readiness with a status per dependency — every table this stack owns (DescribeTable: reachable and
 * ACTIVE), the event bus (DescribeEventBus), the ordering switch (SSM) and the customer token issuer's public keys
 * (the Cognito JWKS URL on aws, the development issuer's SSM parameter elsewhere: without a key no customer can
 * sign in). 200 `ready` when all answer; 503
 * `degraded` naming what is down, so a load balancer or a deploy gate can act on it. Each check is bounded by a
 * short timeout: a hanging dependency makes the answer "down", never a hanging probe. No data is read or written.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { dynamodb, eventBridgeClient } from '../shared/aws-clients';
import { createApiHandler } from '../shared/http';
import { metrics, MetricUnit } from '../shared/powertools';

export const CHECK_TIMEOUT_MS = 2000;

interface Check {
  status: 'ok' | 'down';
  latencyMs: number;
  error?: string;
}

async function check(probe: (signal: AbortSignal) => Promise<void>): Promise<Check> {
  const started = Date.now();
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  try {
    await Promise.race([
      probe(signal),
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`))),
      ),
    ]);
    return { status: 'ok', latencyMs: Date.now() - started };
  } catch (err) {
    return { status: 'down', latencyMs: Date.now() - started, error: `${(err as Error).name}: ${(err as Error).message}`.slice(0, 300) };
  }
}

/** A key set with at least one key, or why not. */
function requireKeys(jwks: unknown): void {
  const keys = (jwks as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('no signing keys published');
}

/**
 * The dependencies, from the environment CDK set: `<NAME>_TABLE_NAME`, EVENT_BUS_NAME, ORDERING_PARAMETER_NAME,
 * AUTH_JWKS_URL or AUTH_JWKS_PARAMETER.
 */
function probes(): Record<string, (signal: AbortSignal) => Promise<void>> {
  const out: Record<string, (signal: AbortSignal) => Promise<void>> = {};
  for (const [variable, tableName] of Object.entries(process.env)) {
    const m = /^([A-Z_]+)_TABLE_NAME$/.exec(variable);
    if (!m || !tableName) continue;
    out[`table:${m[1].toLowerCase()}`] = async (abortSignal) => {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }), { abortSignal });
      if (Table?.TableStatus !== 'ACTIVE') throw new Error(`table is ${Table?.TableStatus}`);
    };
  }
  const bus = process.env.EVENT_BUS_NAME;
  if (bus)
    out.bus = async (abortSignal) => void (await eventBridgeClient().send(new DescribeEventBusCommand({ Name: bus }), { abortSignal }));
  const parameter = process.env.ORDERING_PARAMETER_NAME;
  if (parameter) out['parameter:ordering'] = async () => void (await getParameter(parameter, { forceFetch: true }));
  const jwksUrl = process.env.AUTH_JWKS_URL;
  const jwksParameter = process.env.AUTH_JWKS_PARAMETER;
  if (jwksUrl) {
    out['issuer-keys'] = async (signal) => {
      const res = await fetch(jwksUrl, { signal });
      if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
      requireKeys(await res.json());
    };
  } else if (jwksParameter) {
    out['issuer-keys'] = async () => requireKeys(await getParameter(jwksParameter, { forceFetch: true, transform: 'json' }));
  }
  return out;
}

export const handler = createApiHandler({
  'GET /ready': async () => {
    const entries = await Promise.all(Object.entries(probes()).map(async ([name, probe]) => [name, await check(probe)] as const));
    const checks = Object.fromEntries(entries);
    const down = entries.filter(([, c]) => c.status === 'down').map(([name]) => name);
    metrics.addMetric('ReadinessDegraded', MetricUnit.Count, down.length ? 1 : 0);
    return {
      statusCode: down.length ? 503 : 200,
      body: { status: down.length ? 'degraded' : 'ready', down, checks, time: new Date().toISOString() },
    };
  },
});
