/**
 * Builds the CDK app exactly as `cdk synth` does (bin/shopwave.ts calls this), so tests synthesize the same thing.
 * cdk-nag's AwsSolutions checks run on every synth: an unacknowledged finding fails synthesis.
 */
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from './config';
import { ShopWaveStack } from './shopwave-stack';

export const STACK_NAME = 'ShopWave';

/** The platform's stack name: `ShopWave`, or `ShopWave-<stage>` with `-c stage=<stage>` (lib/config.ts). */
export const stackNameOf = (stage: string | undefined) => (stage ? `${STACK_NAME}-${stage}` : STACK_NAME);

export function buildApp(props: AppProps = {}): { app: App; stack: ShopWaveStack } {
  const app = new App(props);
  const config = readConfig(app.node);
  const stack = new ShopWaveStack(app, stackNameOf(config.stage), {
    config,
    description: `ShopWave Serverless order platform (target: ${config.target})`,
    env: config.target === 'aws' ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
