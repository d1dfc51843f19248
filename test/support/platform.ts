/**
 * One offline platform per end-to-end test file: the template `npm test` synthesized (cdk.out.test), the shared
 * DynamoDB Local, a unique resource prefix, the demo data seeded. Tests talk to it as a client would: HTTP.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { inject } from 'vitest';
import { TERMINAL_STATUSES } from '../../functions/orders/status';
import { DevIssuer } from '../../tools/dev-issuer';
import { startPlatform, type Platform, type PlatformOptions } from '../../offline/shopwave/platform';
import { waitFor } from '../../offline/runtime/wait';
import { seedDemoData } from '../../tools/seed-data';

export const TEST_TEMPLATE = path.join(import.meta.dirname, '..', '..', 'cdk.out.test', 'ShopWave.template.json');

export interface TestPlatform {
  platform: Platform;
  doc: DynamoDBDocumentClient;
  table(logicalIdPrefix: string): string;
  api<T = any>(
    method: string,
    urlPath: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  /** The Authorization header of a demo customer (a token from the platform's development issuer). */
  as(customerId: string): Promise<Record<string, string>>;
  /** GET /orders/{id} as the order's owner (read from the orders table). */
  readOrder(orderId: string): Promise<{ status: number; body: any; headers: Headers }>;
  /** POST /orders as `customerId`. */
  placeOrder(
    customerId: string,
    merchantId: string,
    items: { productId: string; quantity: number }[],
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /**
   * POST /orders `count` times at once with a token that is not a JWT, and every answer: past the route's bucket
   * (burst 40, 20 a second) API Gateway answers 429 before any function runs, the rest are the function's 401s.
   */
  floodOrders(count?: number): Promise<{ status: number }[]>;
  /** Polls GET /orders/{id} until its status is `status` (fails fast when it reaches another terminal status). */
  waitForStatus(orderId: string, status: string, timeoutMs?: number): Promise<any>;
  stop(): Promise<void>;
}

export async function startTestPlatform(
  options: Pick<
    PlatformOptions,
    'timeScale' | 'templatePath' | 'onAlarm' | 'extraFunctionEnv' | 'apiLimits' | 'emf' | 'issuer' | 'meterRequests' | 'shipLogs'
  > = {},
): Promise<TestPlatform> {
  const platform = await startPlatform({
    issuer: await DevIssuer.ephemeral(),
    templatePath: TEST_TEMPLATE,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    resourcePrefix: `e${randomBytes(3).toString('hex')}-`,
    port: 0,
    logs: 'file',
    ...options,
  });
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: platform.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
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

  const tokens = new Map<string, string>();
  const as = async (customerId: string) => {
    if (!tokens.has(customerId)) tokens.set(customerId, await platform.issuer.sign(customerId));
    return { authorization: `Bearer ${tokens.get(customerId)}` };
  };
  const placeOrder: TestPlatform['placeOrder'] = async (customerId, merchantId, items, headers = {}) =>
    api('POST', '/orders', { merchantId, items }, { ...(await as(customerId)), ...headers });
  // Orders are read as their owner; the platform's orders table says who that is.
  const ownerOf = new Map<string, string>();
  const readOrder = async (orderId: string) => {
    if (!ownerOf.has(orderId)) {
      const row = await doc.send(new GetCommand({ TableName: table('DataOrders'), Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' } }));
      if (row.Item) ownerOf.set(orderId, row.Item.customerId);
    }
    return api('GET', `/orders/${orderId}`, undefined, ownerOf.has(orderId) ? await as(ownerOf.get(orderId)!) : {});
  };

  // 200, five times the burst: the bucket refills 20 a second while the requests arrive, and on a loaded 2-core
  // machine 60 requests took 0.7 s to arrive (one 429 left); 200 stay past it unless arriving takes 8 s.
  const floodOrders = (count = 200) =>
    Promise.all(
      Array.from({ length: count }, () => api('POST', '/orders', { merchantId: 'm-pizza', items: [] }, { authorization: 'Bearer x.y.z' })),
    );

  const waitForStatus = async (orderId: string, status: string, timeoutMs = 30_000) => {
    let last: any;
    await waitFor(
      async () => {
        last = (await readOrder(orderId)).body;
        if (last?.status !== status && (TERMINAL_STATUSES as readonly string[]).includes(last?.status)) {
          throw new Error(`order ${orderId} ended ${last.status}, expected ${status}: ${JSON.stringify(last.history)}`);
        }
        return last?.status === status;
      },
      { timeoutMs, description: `order ${orderId} to reach ${status}` },
    );
    return last;
  };

  return { platform, doc, table, api, as, placeOrder, readOrder, floodOrders, waitForStatus, stop: () => platform.stop() };
}
