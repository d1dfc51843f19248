/**
 * Every file or folder the README and docs/ point at exists: a repo-relative path in backticks or prose
 * (`offline/…`, `functions/…`, `lib/…`, …) and every relative Markdown link. Files move; docs that still send a
 * reader to the old place are worse than none, and nobody notices until someone follows them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
/** The repository's top-level folders a doc can name without a leading ./ */
const TOP = ['bin', 'lib', 'functions', 'offline', 'tools', 'scripts', 'test', 'bench', 'docs'];
/** Outputs a command writes, named in the docs but not committed (.gitignore). */
const GENERATED = new Set(['bench/results.json', 'bench/results.bundles.json', 'bench/results.cost.json']);

function markdownFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    return e.isDirectory() ? markdownFiles(rel) : e.name.endsWith('.md') ? [rel] : [];
  });
}

/**
 * Repo-relative paths in a line of Markdown. A path ends at whitespace, a quote, a bracket or punctuation; one that
 * continues with a placeholder (`functions/<service>/`, `docs/dashboards/${file}`, `test/**`) names a pattern, not a
 * file, and is skipped. `.offline/logs/…` is not `offline/…`: the path must not follow a dot or a word character.
 */
function mentionedPaths(line: string): string[] {
  const re = new RegExp(`(?<![\\w./-])((?:${TOP.join('|')})/[^\\s\`'"()\\[\\]<>{}*…,;$|#]*)`, 'g');
  const found: string[] = [];
  for (const m of line.matchAll(re)) {
    const rest = line.slice(m.index + m[0].length);
    if (/^[<{*…$]/.test(rest)) continue;
    found.push(m[1].replace(/[.:]+$/, ''));
  }
  return found;
}

/** Relative Markdown link targets (no scheme, no pure #anchor), without their #fragment. */
function linkTargets(line: string): string[] {
  return [...line.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1].split('#')[0]).filter((t) => t && !/^[a-z][a-z+.-]*:/i.test(t));
}

const DOCS = ['README.md', ...markdownFiles('docs')];

describe('paths in README.md and docs/', () => {
  it('finds paths and links the way a reader sees them', () => {
    expect(mentionedPaths('see `offline/runtime/model.ts`, and lib/app.ts.')).toEqual(['offline/runtime/model.ts', 'lib/app.ts']);
    expect(mentionedPaths('logs in `.offline/logs/<function>.log`; one folder per service: `functions/<service>/`')).toEqual([]);
    expect(mentionedPaths('`npx tsx scripts/redrive.ts <dlq-url>` (docs/runbooks/)')).toEqual(['scripts/redrive.ts', 'docs/runbooks/']);
    expect(mentionedPaths('[retries](docs/architecture.md#retries)')).toEqual(['docs/architecture.md']);
    expect(linkTargets('[runbook](runbooks/dlq-messages.md#redrive) and [AWS](https://aws.amazon.com) and [up](#top)')).toEqual([
      'runbooks/dlq-messages.md',
    ]);
  });

  it.each(DOCS)('%s names only paths that exist', (doc) => {
    const missing: string[] = [];
    readFileSync(path.join(ROOT, doc), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const p of mentionedPaths(line))
          if (!GENERATED.has(p) && !existsSync(path.join(ROOT, p))) missing.push(`${doc}:${i + 1}: ${p}`);
        for (const t of linkTargets(line))
          if (!existsSync(path.join(ROOT, path.dirname(doc), t))) missing.push(`${doc}:${i + 1}: link ${t}`);
      });
    expect(missing).toEqual([]);
  });
});
