/**
 * The synth cache key (tools/synth-inputs.mjs): `npm start` and `npm test` skip the synth when it is unchanged, so
 * every input of the template or a bundle must move it, and files that cannot change either must not.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changedInputs, synthInputs } from './synth-inputs.mjs';

const ARGS = ['synth', '-c', 'target=offline', '-o', 'cdk.out'];
let root: string;
let home: string;

function write(rel: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), content);
}
const key = (args = ARGS, env: NodeJS.ProcessEnv = {}) => synthInputs(root, { args, env, home }).key;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'synth-inputs-'));
  home = mkdtempSync(path.join(tmpdir(), 'synth-home-'));
  write('bin/app.ts', 'buildApp();');
  write('lib/stack.ts', 'export class Stack {}');
  write('functions/orders/api.ts', 'export const handler = () => 1;');
  write('functions/orders/api.test.ts', 'it()');
  write('cdk.json', '{"app":"tsx bin/app.ts"}');
  write('package-lock.json', '{"lockfileVersion":3}');
  write('tsconfig.json', '{}');
  write('docs/architecture.md', '# design');
  write('test/stack.test.ts', 'it()');
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe('synthInputs', () => {
  it('is stable while nothing changes', () => {
    expect(key()).toBe(key());
  });

  it.each(['functions/orders/api.ts', 'lib/stack.ts', 'bin/app.ts', 'cdk.json', 'package-lock.json', 'tsconfig.json'])(
    'changes when %s changes',
    (file) => {
      const before = synthInputs(root, { args: ARGS, env: {}, home });
      write(file, 'changed');
      const after = synthInputs(root, { args: ARGS, env: {}, home });
      expect(after.key).not.toBe(before.key);
      expect(changedInputs(before, after)).toEqual([file]);
    },
  );

  it('changes when a file is added or removed under functions/, or an installed package changes', () => {
    const before = key();
    write('functions/orders/pricing.ts', 'export const p = 1;');
    const added = key();
    expect(added).not.toBe(before);
    rmSync(path.join(root, 'functions/orders/pricing.ts'));
    expect(key()).toBe(before);
    write('node_modules/.package-lock.json', '{"packages":{}}');
    expect(key()).not.toBe(before);
  });

  it('changes with the arguments, a CDK_* variable or ~/.cdk.json', () => {
    const before = key();
    expect(key([...ARGS.slice(0, -1), 'cdk.out.test'])).not.toBe(before);
    expect(key(ARGS, { CDK_DEFAULT_REGION: 'eu-west-1' })).not.toBe(before);
    writeFileSync(path.join(home, '.cdk.json'), '{"context":{}}');
    expect(key()).not.toBe(before);
  });

  it('stays the same when only docs, tests or other variables change', () => {
    const before = key();
    write('docs/architecture.md', '# another design');
    write('docs/new-page.md', 'new');
    write('functions/orders/api.test.ts', 'it.only()');
    write('test/stack.test.ts', 'it.skip()');
    write('README.md', 'readme');
    expect(key(ARGS, { HOME_THEME: 'dark' })).toBe(before);
  });

  it('names what changed, settings in parentheses', () => {
    const before = synthInputs(root, { args: ARGS, env: {}, home });
    write('functions/orders/api.ts', 'changed');
    const after = synthInputs(root, { args: [...ARGS, '--force'], env: {}, home });
    expect(changedInputs(before, after)).toEqual(['functions/orders/api.ts', '(args)']);
    expect(changedInputs(undefined, after)).toEqual([]);
  });
});
