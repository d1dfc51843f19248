/**
 * What of a synthesized template LocalStack community 4.14 cannot deploy: a resource type without a provider, or a
 * property its provider's schema does not declare (lib/targets/localstack-4.14.json, generated from LocalStack's
 * source). Properties a provider accepts and ignores are reported apart: deployable, but not in effect.
 */
import { LOCALSTACK_FACTS, type TargetFacts } from './reach';

export interface Compatibility {
  /** `<logical id> (<type>)` or `<logical id> (<type>).<Property>`: what cannot be deployed. */
  unsupported: string[];
  /** `<type>.<Property>`: deployed, but ignored by the provider. */
  ignored: string[];
}

export function localstackCompatibility(
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
  facts: TargetFacts = LOCALSTACK_FACTS,
): Compatibility {
  const providers = facts.resourceProviders?.types ?? {};
  const unsupported: string[] = [];
  const ignored = new Set<string>();
  for (const [id, r] of Object.entries(resources)) {
    // CDK's own metadata resource is dropped by every CloudFormation implementation that does not know it.
    if (r.Type === 'AWS::CDK::Metadata') continue;
    const provider = providers[r.Type];
    if (!provider) {
      unsupported.push(`${id} (${r.Type}): no resource provider`);
      continue;
    }
    for (const property of Object.keys(r.Properties ?? {})) {
      if (!provider.properties.includes(property)) unsupported.push(`${id} (${r.Type}).${property}: not in the provider's schema`);
      if (facts.ignoredProperties?.[r.Type]?.includes(property)) ignored.add(`${r.Type}.${property}`);
    }
  }
  return { unsupported, ignored: [...ignored].sort() };
}
