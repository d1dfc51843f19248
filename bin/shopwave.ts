#!/usr/bin/env node
/** The CDK app: `cdk synth|deploy -c target=aws|localstack|offline` (see lib/config.ts for every context value). */
import { buildApp } from '../lib/app';

buildApp();
