/**
 * One offline platform per end-to-end test file: the template `npm test` synthesized (cdk.out.test), the shared
 * DynamoDB Local, a unique resource prefix, the demo data seeded. Tests talk to it as a client would: HTTP.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { inject } from 'vitest';
import { startPlatform, type Platform, type PlatformOptions } from '../../offline/platform';
import { waitFor } from '../../offline/wait';
import { seedDemoData } from '../../scripts/seed-data';

export const TEST_TEMPLATE = path.join(import.meta.dirname, '..', '..', 'cdk.out.test', 'ShopWave.template.json');

export interface TestPlatform {
  platform: Platform;
  doc: DynamoDBDocumentClient;
  table(logicalIdPrefix: string): string;
  api<T = any>(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  /** Polls GET /orders/{id} until its status is `status` (fails fast when it reaches another terminal status). */
  waitForStatus(orderId: string, status: string, timeoutMs?: number): Promise<any>;
  stop(): Promise<void>;
}

const TERMINAL = ['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];

export async function startTestPlatform(options: Pick<PlatformOptions, 'timeScale' | 'templatePath' | 'onAlarm' | 'extraFunctionEnv'> = {}): Promise<TestPlatform> {
  const platform = await startPlatform({
    templatePath: TEST_TEMPLATE,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    resourcePrefix: `e${randomBytes(3).toString('hex')}-`,
    port: 0,
    logs: 'file',
    ...options,
  });
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: platform.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  const table = (prefix: string) => platform.tableName(prefix);
  await seedDemoData({
    doc,
    tableName: (key) => table({ catalog: 'DataCatalog', customers: 'DataCustomers', inventory: 'DataInventory' }[key]),
  });

  const api: TestPlatform['api'] = async (method, urlPath, body, headers = {}) => {
    const res = await fetch(`${platform.apiUrl}${urlPath}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  const waitForStatus = async (orderId: string, status: string, timeoutMs = 30_000) => {
    let last: any;
    await waitFor(
      async () => {
        last = (await api('GET', `/orders/${orderId}`)).body;
        if (last?.status !== status && TERMINAL.includes(last?.status)) {
          throw new Error(`order ${orderId} ended ${last.status}, expected ${status}: ${JSON.stringify(last.history)}`);
        }
        return last?.status === status;
      },
      { timeoutMs, description: `order ${orderId} to reach ${status}` },
    );
    return last;
  };

  return { platform, doc, table, api, waitForStatus, stop: () => platform.stop() };
}
