/**
 * Builds the CDK app exactly as `cdk synth` does (bin/shopwave.ts calls this), so tests synthesize the same thing.
 * cdk-nag's AwsSolutions checks run on every synth: an unacknowledged finding fails synthesis.
 */
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from './config';
import { PRE_TRAFFIC_SERVICE } from './constructs/pre-traffic-hook';
import { discover } from './constructs/watch';
import { ObservabilityHubStack, readHubContext } from './observability-hub-stack';
import { DEPLOY_STAGE, PipelineAccessStack } from './pipeline-access-stack';
import { ShopWaveStack } from './shopwave-stack';

export const STACK_NAME = 'ShopWave';

/** The platform's stack name: `ShopWave`, or `ShopWave-<stage>` with `-c stage=<stage>` (lib/config.ts). */
export const stackNameOf = (stage: string | undefined) => (stage ? `${STACK_NAME}-${stage}` : STACK_NAME);

/** The stack of the pipeline's access (lib/pipeline-access-stack.ts), one per account and region, whatever the stage. */
export const PIPELINE_ACCESS_STACK_NAME = 'ShopWavePipelineAccess';
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;

/** The central observability hub's stack (lib/observability-hub-stack.ts), for a monitoring account. */
export const OBSERVABILITY_HUB_STACK_NAME = 'ShopWaveObservabilityHub';

export function buildApp(props: AppProps = {}): {
  app: App;
  stack: ShopWaveStack;
  pipelineAccess?: PipelineAccessStack;
  observabilityHub?: ObservabilityHubStack;
} {
  const app = new App(props);
  const config = readConfig(app.node);
  const repository = app.node.tryGetContext('githubRepository') as string | undefined;
  if (repository !== undefined && !REPOSITORY.test(repository))
    throw new Error(`context 'githubRepository' must be owner/name, got '${repository}'`);
  if (repository !== undefined && config.target !== 'aws')
    throw new Error("context 'githubRepository' is for target=aws: GitHub deploys to AWS only");
  const stack = new ShopWaveStack(app, stackNameOf(config.stage), {
    config,
    description: `ShopWave Serverless order platform (target: ${config.target})`,
    env: config.target === 'aws' ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined,
  });
  // The pipeline's access, only when asked for: `-c githubRepository=owner/name` (and `-c githubOidcProviderArn=…`
  // when the account already has GitHub's provider). Deployed once by an administrator, never by the pipeline.
  let pipelineAccess: PipelineAccessStack | undefined;
  if (repository !== undefined) {
    pipelineAccess = new PipelineAccessStack(app, PIPELINE_ACCESS_STACK_NAME, {
      repository,
      oidcProviderArn: app.node.tryGetContext('githubOidcProviderArn'),
      acceptanceStacks: [stackNameOf(DEPLOY_STAGE)],
      description: `GitHub Actions OIDC deploy role for ${repository} (ShopWave pipeline)`,
      env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    });
  }
  // The central observability hub, only when asked for: `-c hubWorkloadAccounts=<ids>` (aws only), deployed to the
  // monitoring account; the workloads then link with `-c hubSinkArn=… -c hubLogDestinationArn=…` (its outputs).
  const hub = readHubContext(app.node, config.target);
  let observabilityHub: ObservabilityHubStack | undefined;
  if (hub) {
    observabilityHub = new ObservabilityHubStack(app, OBSERVABILITY_HUB_STACK_NAME, {
      ...hub,
      // The archive's `service` partitions: the services of this app's functions, and the pre-traffic hook's (no
      // ServiceFunction: created with the canary deployments, lib/constructs/pre-traffic-hook.ts).
      services: [...discover(stack).functions.map((f) => f.fn.service), PRE_TRAFFIC_SERVICE],
      description: `ShopWave central observability hub for ${hub.workloadAccounts.length} workload account(s) (docs/observability-hub.md)`,
      env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, pipelineAccess, observabilityHub };
}
