/**
 * Every resource keeps its logical id. CloudFormation replaces a resource whose logical id changes — a new queue
 * (its messages stay in the old one, which is deleted), a new, empty table — so a refactor that moves CDK code must
 * not move resources. The fixture lists each target's logical ids and types as they are deployed.
 *
 * Added or removed a resource on purpose? Regenerate the fixtures and review their diff in the pull request:
 *   UPDATE_LOGICAL_IDS=1 npx vitest run test/logical-ids.test.ts
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const fixtureFile = (target: string) => path.join(FIXTURES, `logical-ids.${target}.json`);

/**
 * Logical id → resource type of the real app, sorted by id so the fixture's diff reads well. The API deployment's id
 * ends in a hash of the API's definition on purpose (a new deployment whenever a route changes; it is replaced,
 * never updated), and that hash also differs with bundling: it is compared without it. So is a function version's
 * (aws: `<fn>CurrentVersion<hash>`, a new one retained beside the last on every code or configuration change).
 */
const HASHED_IDS = ['AWS::ApiGateway::Deployment', 'AWS::Lambda::Version'];

function logicalIds(target: string): Record<string, string> {
  const { app, stack } = buildApp({
    outdir: mkdtempSync(path.join(tmpdir(), `shopwave-ids-${target}-`)),
    context: { target, 'aws:cdk:bundling-stacks': [] },
  });
  const resources = app.synth().getStackByName(stack.stackName).template.Resources as Record<string, { Type: string }>;
  const ids = Object.entries(resources).map(
    ([id, r]) => [HASHED_IDS.includes(r.Type) ? id.replace(/[0-9a-f]{32}$/, '') : id, r.Type] as const,
  );
  return Object.fromEntries(ids.sort(([a], [b]) => a.localeCompare(b)));
}

describe.each(['aws', 'localstack', 'offline'])('target %s', (target) => {
  it('keeps every logical id and type of the committed fixture', () => {
    const actual = logicalIds(target);
    if (process.env.UPDATE_LOGICAL_IDS === '1') writeFileSync(fixtureFile(target), `${JSON.stringify(actual, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(fixtureFile(target), 'utf8')) as Record<string, string>;
    const added = Object.keys(actual).filter((id) => !(id in expected));
    const removed = Object.keys(expected).filter((id) => !(id in actual));
    const retyped = Object.keys(actual).filter((id) => id in expected && expected[id] !== actual[id]);
    expect(
      { added, removed, retyped },
      `logical ids of target ${target} differ from test/fixtures/logical-ids.${target}.json: a changed id makes CloudFormation ` +
        'replace the resource (a removed queue or table loses its data). If the change is deliberate (a resource added or ' +
        'removed on purpose), regenerate with UPDATE_LOGICAL_IDS=1 npx vitest run test/logical-ids.test.ts and review the diff.',
    ).toEqual({ added: [], removed: [], retyped: [] });
  });
});
