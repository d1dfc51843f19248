/**
 * CodeDeploy's BeforeAllowTraffic hook for every function's canary (aws only; lib/constructs/pre-traffic-hook.ts):
 * before the `live` alias sends any traffic to a new version, this proves the version initializes and answers.
 *
 * On `{DeploymentId, LifecycleEventHookExecutionId}` it reads the deployment (GetDeployment; a CloudFormation-made
 * Lambda deployment's revision carries only the AppSpec's sha256, so the content comes from GetApplicationRevision),
 * takes each function and TargetVersion the AppSpec names, checks the version is Active (GetFunctionConfiguration),
 * probes it by its kind (functions/deploy/probes.ts: an empty batch for consumers, a GET of an unknown path for
 * APIs, no invocation for scheduled functions) and reports Succeeded or Failed with
 * PutLifecycleEventHookExecutionStatus. It always reports, also when its own logic throws: a hook that never
 * reports leaves the deployment waiting for CodeDeploy's one-hour hook timeout. Every call is bounded in time.
 * docs/runbooks/deploy-and-rollback.md, "The pre-traffic check".
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  CodeDeployClient,
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  PutLifecycleEventHookExecutionStatusCommand,
  type RevisionLocation,
} from '@aws-sdk/client-codedeploy';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import middy from '@middy/core';
import * as z from 'zod';
import { jsonEnv } from '../shared/env';
import { logger, traced } from '../shared/powertools';
import { INVOKED_KINDS, PROBE_KINDS, PROBES_ENV, probeEvent, type ProbeKind } from './probes';

/** What CodeDeploy passes a lifecycle hook. */
export interface LifecycleEvent {
  DeploymentId: string;
  LifecycleEventHookExecutionId: string;
}

/** The one method of an SDK v3 client the hook uses: tests pass a `{ send }` that records the commands. */
export interface Sender {
  // biome-ignore lint/suspicious/noExplicitAny: the commands' outputs differ; each call site reads its own fields.
  send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
}

export interface Timeouts {
  /** Each CodeDeploy and GetFunctionConfiguration call. */
  callMs: number;
  /** The invocation of a new version: its cold start plus the probe's answer. */
  probeMs: number;
}

/**
 * The hook function runs for at most 60 s: four control-plane calls of 5 s and one probe of 30 s fit with room to
 * report. No function's probe answer takes more than a cold start (~1 s): 30 s is a hang.
 */
export const TIMEOUTS: Timeouts = { callMs: 5_000, probeMs: 30_000 };

export interface HookDeps {
  codedeploy: Sender;
  lambda: Sender;
  /** Function name → kind (PRE_TRAFFIC_PROBES). A function, read per invocation, so a bad value is reported as Failed. */
  probes: () => Record<string, ProbeKind>;
  timeouts?: Timeouts;
}

export interface TargetFunction {
  name: string;
  alias?: string;
  currentVersion?: string;
  targetVersion: string;
}

export type HookStatus = 'Succeeded' | 'Failed';

const version = z.union([z.string().min(1), z.number()]).transform(String);
const appSpecSchema = z.object({
  Resources: z
    .array(
      z.record(
        z.string(),
        z.object({
          Type: z.string(),
          Properties: z.object({
            Name: z.string().min(1),
            Alias: z.string().optional(),
            CurrentVersion: version.optional(),
            TargetVersion: version,
          }),
        }),
      ),
    )
    .min(1),
});

/** The Lambda functions an AppSpec (the revision of a Lambda deployment, JSON) shifts, with their target versions. */
export function parseAppSpec(content: string): TargetFunction[] {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    throw new Error(`the AppSpec is not JSON: ${(err as Error).message}`);
  }
  const parsed = appSpecSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `the AppSpec is not a Lambda AppSpec: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  const functions = parsed.data.Resources.flatMap((resources) => Object.values(resources))
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map(({ Properties: p }) => ({ name: p.Name, alias: p.Alias, currentVersion: p.CurrentVersion, targetVersion: p.TargetVersion }));
  if (functions.length === 0) throw new Error('the AppSpec names no AWS::Lambda::Function');
  return functions;
}

/** `name`, or the name inside a function ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`). */
export const functionNameOf = (nameOrArn: string) => (nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? nameOrArn) : nameOrArn);

/** `call` bounded by `ms`: the SDK request is aborted and the race rejects, whether or not the client honours the signal. */
async function bounded<T>(what: string, ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`${what} did not answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const revisionContent = (revision: RevisionLocation | undefined) => revision?.appSpecContent?.content ?? revision?.string?.content;

async function readTargets(deps: HookDeps, timeouts: Timeouts, deploymentId: string): Promise<TargetFunction[]> {
  const { deploymentInfo: info } = await bounded('GetDeployment', timeouts.callMs, (abortSignal) =>
    deps.codedeploy.send(new GetDeploymentCommand({ deploymentId }), { abortSignal }),
  );
  if (!info) throw new Error(`GetDeployment ${deploymentId} returned no deploymentInfo`);
  if (info.computePlatform !== 'Lambda') throw new Error(`deployment ${deploymentId} is on ${info.computePlatform}, not Lambda`);
  let content = revisionContent(info.revision);
  if (!content) {
    if (!info.revision || !info.applicationName) throw new Error(`deployment ${deploymentId} has no revision`);
    const out = await bounded('GetApplicationRevision', timeouts.callMs, (abortSignal) =>
      deps.codedeploy.send(new GetApplicationRevisionCommand({ applicationName: info.applicationName, revision: info.revision }), {
        abortSignal,
      }),
    );
    content = revisionContent(out.revision);
  }
  if (!content) throw new Error(`deployment ${deploymentId}: the revision holds no AppSpec content`);
  return parseAppSpec(content);
}

const decode = (payload: Uint8Array | undefined) => (payload ? new TextDecoder().decode(payload) : '');

/** Checks one function's new version; throws with the reason when it is not fit for traffic. */
async function probe(deps: HookDeps, timeouts: Timeouts, deploymentId: string, target: TargetFunction, kind: ProbeKind): Promise<string> {
  const qualified = `${target.name}:${target.targetVersion}`;
  const config = await bounded(`GetFunctionConfiguration ${qualified}`, timeouts.callMs, (abortSignal) =>
    deps.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: target.name, Qualifier: target.targetVersion }), { abortSignal }),
  );
  if (config.State !== 'Active')
    throw new Error(`${qualified} is ${config.State ?? 'in no state'}, not Active${config.StateReason ? `: ${config.StateReason}` : ''}`);
  // Scheduled functions (reconcilers, checks, the daily export) do real work on every run, so a probe would be a
  // real run: they are not invoked. That the version exists and is Active is all that is checked before traffic;
  // its first scheduled run is watched by its Errors alarm during the canary like any other.
  if (!INVOKED_KINDS.includes(kind)) return `${qualified} is Active (${kind}: not invoked)`;
  const res = await bounded(`Invoke ${qualified}`, timeouts.probeMs, (abortSignal) =>
    deps.lambda.send(
      new InvokeCommand({
        FunctionName: qualified,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(probeEvent(kind, deploymentId))),
      }),
      { abortSignal },
    ),
  );
  const answer = decode(res.Payload);
  if (res.FunctionError)
    throw new Error(`${qualified} answered the ${kind} probe with a ${res.FunctionError} error: ${answer.slice(0, 500)}`);
  if (res.StatusCode !== 200) throw new Error(`invoking ${qualified} returned status ${res.StatusCode}`);
  if (kind === 'api') {
    let statusCode: unknown;
    try {
      statusCode = (JSON.parse(answer) as { statusCode?: unknown }).statusCode;
    } catch {
      statusCode = undefined;
    }
    if (typeof statusCode !== 'number')
      throw new Error(`${qualified} answered the api probe without a statusCode: ${answer.slice(0, 500)}`);
    if (statusCode >= 500) throw new Error(`${qualified} answered the api probe with ${statusCode}: ${answer.slice(0, 500)}`);
    return `${qualified} answered the api probe with ${statusCode}`;
  }
  return `${qualified} answered the ${kind} probe (an empty batch) without error`;
}

/** Runs the checks of one lifecycle event; the status to report and why. */
async function check(deps: HookDeps, timeouts: Timeouts, event: LifecycleEvent): Promise<{ status: HookStatus; details: string[] }> {
  const probes = deps.probes();
  const targets = await readTargets(deps, timeouts, event.DeploymentId);
  const details: string[] = [];
  for (const target of targets) {
    const kind = probes[functionNameOf(target.name)];
    // Every deployment group of the stack is for a function the map names: an unknown one is drift, not a pass.
    if (!kind || !PROBE_KINDS.includes(kind)) throw new Error(`no probe is configured for ${target.name} (${PROBES_ENV})`);
    details.push(await probe(deps, timeouts, event.DeploymentId, target, kind));
  }
  return { status: 'Succeeded', details };
}

/** The hook, with its clients and configuration passed in (the handler below; fakes in pre-traffic.test.ts). */
export function createPreTrafficHook(deps: HookDeps) {
  const timeouts = deps.timeouts ?? TIMEOUTS;
  return async (event: LifecycleEvent): Promise<{ status: HookStatus; reason?: string }> => {
    const { DeploymentId: deploymentId, LifecycleEventHookExecutionId: executionId } = event ?? ({} as LifecycleEvent);
    // Without both ids there is nothing to report to: fail the invocation (the hook's Errors alarm shows it).
    if (!deploymentId || !executionId)
      throw new Error('not a CodeDeploy lifecycle event: DeploymentId and LifecycleEventHookExecutionId are required');
    logger.appendKeys({ deploymentId, lifecycleEventHookExecutionId: executionId });
    let status: HookStatus = 'Failed';
    let reason: string | undefined;
    try {
      const result = await check(deps, timeouts, event);
      status = result.status;
      logger.info('pre-traffic check passed', { details: result.details });
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
      logger.error('pre-traffic check failed: the deployment stops and the alias stays on the old version', {
        reason,
        error: err as Error,
      });
    }
    // Reported whatever happened above. If the report itself fails the invocation fails: Lambda retries the
    // asynchronous invocation (twice), and the hook's Errors alarm fires.
    await bounded('PutLifecycleEventHookExecutionStatus', timeouts.callMs, (abortSignal) =>
      deps.codedeploy.send(
        new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId: executionId, status }),
        {
          abortSignal,
        },
      ),
    );
    logger.info('pre-traffic status reported', { status });
    return { status, reason };
  };
}

// Two attempts at most per call: the calls are bounded above, and the whole hook has 60 s.
const clientConfig = { maxAttempts: 2 };

export const handler = middy(
  createPreTrafficHook({
    codedeploy: traced(new CodeDeployClient(clientConfig)),
    lambda: traced(new LambdaClient(clientConfig)),
    probes: () => {
      const probes = jsonEnv<Record<string, ProbeKind> | undefined>(PROBES_ENV, undefined);
      if (!probes) throw new Error(`environment variable ${PROBES_ENV} is not set`);
      return probes;
    },
  }),
).use(injectLambdaContext(logger, { resetKeys: true }));
