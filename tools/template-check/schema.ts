/**
 * Issue 10, part 5: a template checked against CloudFormation's own resource schemas, as cdklabs' service spec
 * database (@aws-cdk/aws-service-spec, the registry schemas CDK generates its L1 classes from) holds them: every
 * resource type exists, every property is one of its type, has the schema's shape (string, number, boolean, object
 * of known keys, list, map) and one of its allowed values, and no required property is missing.
 *
 * That database carries types, required and enums (allowedValues); it has no patterns, lengths or min/max, so
 * those are not checked. An intrinsic (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, …) resolves at deploy time to a value
 * of unknown content: it matches any type.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, ResourceProperties, SpecDatabase } from '@aws-cdk/service-spec-types';

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Types outside the registry by design: CDK's own metadata, and custom resources (their properties are theirs). */
const NOT_REGISTRY = (type: string) => type === 'AWS::CDK::Metadata' || type.startsWith('Custom::');

export interface SchemaReport {
  /** `LogicalId (Type).Path: reason`, sorted. */
  findings: string[];
  resources: number;
  /** Property values compared with a schema type, nested ones included. */
  values: number;
}

let cached: SpecDatabase | undefined;
/** The database, loaded once (about a second: a 2.6 MB gzipped JSON). */
export function serviceSpec(): SpecDatabase {
  cached ??= loadAwsServiceSpecSync();
  return cached;
}

const isIntrinsic = (v: unknown): boolean => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::'));
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const describe = (v: unknown) => (Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`);

export function checkSchemas(resources: Resources, db: SpecDatabase = serviceSpec()): SchemaReport {
  const findings: string[] = [];
  let checkedResources = 0;
  let values = 0;

  /** The reasons `value` does not fit `type` (empty when it does), each with the path below `path` it is at. */
  function mismatches(value: unknown, type: PropertyType, path: string): string[] {
    values++;
    if (isIntrinsic(value)) return [];
    switch (type.type) {
      case 'string':
      case 'date-time':
        // CloudFormation turns numbers and booleans given for strings into strings.
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
          return [`${path}: expected a string, got ${describe(value)}`];
        if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(String(value)))
          return [`${path}: ${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`];
        return [];
      case 'number':
      case 'integer': {
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof n !== 'number' || Number.isNaN(n))
          return [`${path}: expected ${type.type === 'integer' ? 'an' : 'a'} ${type.type}, got ${describe(value)}`];
        if (type.type === 'integer' && !Number.isInteger(n)) return [`${path}: expected an integer, got ${value}`];
        if (type.type === 'integer' && type.allowedValues && !type.allowedValues.includes(n))
          return [`${path}: ${n} is not one of ${type.allowedValues.join(', ')}`];
        return [];
      }
      case 'boolean':
        return typeof value === 'boolean' || value === 'true' || value === 'false'
          ? []
          : [`${path}: expected a boolean, got ${describe(value)}`];
      case 'json':
        return [];
      case 'null':
        return value === null ? [] : [`${path}: expected null, got ${describe(value)}`];
      case 'tag':
        return isPlainObject(value)
          ? objectMismatches(value, { Key: strReq, Value: strReq }, path)
          : [`${path}: expected a tag, got ${describe(value)}`];
      case 'ref': {
        if (!isPlainObject(value)) return [`${path}: expected an object, got ${describe(value)}`];
        const def = db.get('typeDefinition', type.reference);
        return objectMismatches(value, def.properties, path);
      }
      case 'array':
        if (!Array.isArray(value)) return [`${path}: expected a list, got ${describe(value)}`];
        return value.flatMap((e, i) => mismatches(e, type.element, `${path}[${i}]`));
      case 'map':
        if (!isPlainObject(value)) return [`${path}: expected a map, got ${describe(value)}`];
        return Object.entries(value).flatMap(([k, e]) => mismatches(e, type.element, `${path}.${k}`));
      case 'union': {
        const each = type.types.map((t) => mismatches(value, t, path));
        return each.some((m) => m.length === 0) ? [] : (each.sort((a, b) => a.length - b.length)[0] ?? []);
      }
    }
  }

  /** A property fits its current type or one it had before (CDK may still emit an older shape). */
  function propertyMismatches(value: unknown, prop: ResourceProperties[string], path: string): string[] {
    const each = [prop.type, ...(prop.previousTypes ?? [])].map((t) => mismatches(value, t, path));
    return each.some((m) => m.length === 0) ? [] : each[0];
  }

  function objectMismatches(value: Record<string, unknown>, props: ResourceProperties, path: string): string[] {
    if (isIntrinsic(value)) return [];
    const out: string[] = [];
    for (const [name, v] of Object.entries(value)) {
      const prop = props[name];
      if (!prop) out.push(`${path}.${name}: not a property of this type`);
      else out.push(...propertyMismatches(v, prop, `${path}.${name}`));
    }
    for (const [name, prop] of Object.entries(props)) if (prop.required && !(name in value)) out.push(`${path}.${name}: required, missing`);
    return out;
  }

  for (const [id, r] of Object.entries(resources)) {
    if (NOT_REGISTRY(r.Type)) continue;
    checkedResources++;
    const where = `${id} (${r.Type})`;
    const spec = db.lookup('resource', 'cloudFormationType', 'equals', r.Type);
    if (spec.length === 0) {
      findings.push(`${where}: not a CloudFormation resource type`);
      continue;
    }
    findings.push(...objectMismatches(r.Properties ?? {}, spec.only().properties, where));
  }
  return { findings: findings.sort(), resources: checkedResources, values };
}

const strReq = { type: { type: 'string' }, required: true } as ResourceProperties[string];
