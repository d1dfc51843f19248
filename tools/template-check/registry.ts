/**
 * Issue 10, part 5: the whole of each resource checked against the CloudFormation registry schemas themselves
 * (patterns, lengths, minimum/maximum, enums, required, types), by AWS's own validator, @aws/cloudformation-validate:
 * the one aws-cdk-lib bundles and runs at synth ("CloudFormation Validate", warnings only unless the
 * @aws-cdk/core:validateAgainstDefaultRules flag is set). It is read from aws-cdk-lib's bundle, so it is always
 * the version that aws-cdk-lib (pinned) ships; the registry publishes only older betas of it.
 */
import { createRequire } from 'node:module';
import type { Resources } from './schema';

interface Diagnostic {
  ruleId: string;
  severity: 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
  message: string;
  entity?: { logicalId: string; resourceType?: string };
  propertyPath?: string;
}
interface Validate {
  SchemaValidator: new () => { validate(t: unknown, region?: string): Diagnostic[]; schemaCount(): number; free(): void };
  TemplateContent: new (content: string, name?: string) => unknown;
}

const cdkRequire = createRequire(createRequire(import.meta.url).resolve('aws-cdk-lib/package.json'));
const validate = cdkRequire('@aws/cloudformation-validate') as Validate;

export interface RegistryReport {
  /** `LogicalId (Type).Path: reason [rule]`, sorted; warnings and worse (INFO is create-only-property notes). */
  findings: string[];
  /** Provider schemas the validator holds. */
  schemas: number;
}

export function checkRegistrySchemas(resources: Resources, region = 'us-east-1'): RegistryReport {
  const validator = new validate.SchemaValidator();
  try {
    const template = JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Resources: resources });
    const findings = validator
      .validate(new validate.TemplateContent(template, 'template.json'), region)
      .filter((d) => d.severity !== 'INFO' && d.severity !== 'DEBUG')
      .map((d) => {
        const where = d.entity ? `${d.entity.logicalId} (${d.entity.resourceType ?? '?'})` : 'template';
        const path = d.propertyPath?.replace(/^Properties\.?/, '');
        return `${where}${path ? `.${path}` : ''}: ${d.message} [${d.ruleId}]`;
      });
    return { findings: findings.sort(), schemas: validator.schemaCount() };
  } finally {
    validator.free();
  }
}
