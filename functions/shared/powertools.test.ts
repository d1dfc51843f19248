/**
 * The Tracer is loaded only where it traces (functions/shared/powertools.ts): checked on the synthesized bundles
 * themselves, each imported in a fresh Node process the way Lambda's runtime imports it, with its template
 * environment. The X-Ray SDK, once loaded, has registered its cls-hooked namespace on `process.namespaces`.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TEST_TEMPLATE } from '../../test/support/platform';

const run = promisify(execFile);
const template = JSON.parse(readFileSync(TEST_TEMPLATE, 'utf8')) as {
  Resources: Record<string, { Type: string; Metadata?: Record<string, string>; Properties: any }>;
};
const functions = Object.entries(template.Resources).filter(
  ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'] && r.Properties.Handler === 'index.handler',
);

/** Imports a function's bundle with its template environment (values CloudFormation resolves at deploy: a placeholder). */
async function xrayLoadedBy(resource: (typeof functions)[number][1], env: Record<string, string>): Promise<boolean> {
  const bundle = path.join(path.dirname(TEST_TEMPLATE), resource.Metadata!['aws:asset:path'], 'index.mjs');
  const vars = Object.entries<unknown>(resource.Properties.Environment?.Variables ?? {}).map(([k, v]) => [
    k,
    typeof v === 'string' ? v : 'x',
  ]);
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(bundle)}); console.log(JSON.stringify(Boolean(process.namespaces?.AWSXRay)))`,
    ],
    {
      env: {
        PATH: process.env.PATH,
        ...Object.fromEntries(vars),
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as boolean;
}

describe('Powertools Tracer in the bundles', () => {
  it('finds the functions of the template', () => {
    expect(functions.length).toBeGreaterThanOrEqual(15);
    // The offline template is the one LocalStack's resembles: no X-Ray, and the Tracer told so.
    for (const [id, r] of functions) expect(r.Properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED, id).toBe('false');
  });

  it('does not load the X-Ray SDK with tracing off, even inside a Lambda execution environment', async () => {
    const loaded = await Promise.all(
      functions.map(async ([id, r]) => [id, await xrayLoadedBy(r, { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' })] as const),
    );
    expect(loaded.filter(([, l]) => l)).toEqual([]);
  });

  it('loads it, and so traces, where tracing is on (the aws target with X-Ray)', async () => {
    const loaded = await Promise.all(
      functions.map(
        async ([id, r]) =>
          [id, await xrayLoadedBy(r, { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'true' })] as const,
      ),
    );
    expect(loaded.filter(([, l]) => !l)).toEqual([]);
  });
});
