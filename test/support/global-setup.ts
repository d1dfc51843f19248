/**
 * One DynamoDB Local per test project (starting one per file costs ~2.5 s and 120 MB each); vitest.config.ts has
 * two projects, so the timing-sensitive one gets its own. Tests isolate themselves with table-name prefixes; see
 * test/support/tables.ts.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../offline/runtime/dynamodb-local';

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ddb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', ddb.endpoint);
  return () => ddb.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}
