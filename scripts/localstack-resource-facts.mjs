#!/usr/bin/env node
/**
 * Rebuilds the `resources` section of lib/targets/localstack-4.14.json from LocalStack's own source: every
 * CloudFormation resource provider of the community edition (`services/<service>/resource_providers/[generated/]*.schema.json`,
 * the schema each provider is built from) with the properties it declares. The rest of that file (metrics, alarm
 * evaluation, what a provider accepts but ignores) is read from the same source by hand: /work/shared/localstack-4.14.md.
 *
 *   node scripts/localstack-resource-facts.mjs <localstack git dir> [tag]   (default tag v4.14.0)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [gitDir, tag = 'v4.14.0'] = process.argv.slice(2);
if (!gitDir) {
  console.error('usage: node scripts/localstack-resource-facts.mjs <localstack git dir> [tag]');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const commit = git('rev-parse', `${tag}^{commit}`).trim();
const files = git('ls-tree', '-r', '--name-only', tag)
  .split('\n')
  .filter((f) => /^localstack-core\/localstack\/services\/[^/]+\/resource_providers\/(generated\/)?[^/]+\.schema\.json$/.test(f));
const resources = {};
for (const file of files) {
  const schema = JSON.parse(git('show', `${tag}:${file}`));
  resources[schema.typeName] = {
    properties: Object.keys(schema.properties ?? {}).sort(),
    schema: file.replace(/^localstack-core\/localstack\//, ''),
  };
}
const target = path.join(import.meta.dirname, '..', 'lib', 'targets', 'localstack-4.14.json');
const facts = JSON.parse(readFileSync(target, 'utf8'));
facts.resourceProviders = {
  from: `localstack/localstack ${tag} (${commit.slice(0, 9)}), services/*/resource_providers/[generated/]*.schema.json`,
  types: Object.fromEntries(Object.entries(resources).sort(([a], [b]) => a.localeCompare(b))),
};
writeFileSync(target, `${JSON.stringify(facts, null, 2)}\n`);
console.log(`${Object.keys(resources).length} resource types from ${tag} written to ${path.relative(process.cwd(), target)}`);
