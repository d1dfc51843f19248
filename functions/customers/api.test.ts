import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { apiEvent, lambdaContext } from '../../test/support/lambda';
import { useParameters } from '../../test/support/parameters';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let ssm: Awaited<ReturnType<typeof useParameters>>;
let api: typeof import('./api');

beforeAll(async () => {
  t = await useTables();
  ssm = await useParameters();
  process.env.POWERTOOLS_SERVICE_NAME = 'customers';
  api = await import('./api');
  await t.doc.send(
    new PutCommand({
      TableName: t.names.customers,
      Item: api.customerItem({ customerId: 'c-1', name: 'Ada', email: 'ada@example.com', paymentMethod: 'tok_secret_visa' }),
    }),
  );
});

/** As the customer the path names, unless told otherwise. */
async function getCustomer(id: string, as = id) {
  const headers = await ssm.bearer(/^[A-Za-z0-9_-]{1,64}$/.test(as) ? as : 'c-1');
  const res = await api.handler(
    apiEvent({ method: 'GET', resource: '/customers/{id}', path: `/customers/${id}`, pathParameters: { id }, headers }),
    lambdaContext('customers-api'),
  );
  return { status: res.statusCode, raw: res.body, body: JSON.parse(res.body) };
}

describe('GET /customers/{id}', () => {
  it('returns the profile and never the payment method', async () => {
    const res = await getCustomer('c-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ customerId: 'c-1', name: 'Ada', email: 'ada@example.com' });
    expect(res.raw).not.toContain('tok_secret_visa');
  });

  it('answers 404 for an unknown customer and 400 naming the field for a malformed id', async () => {
    const missing = await getCustomer('c-nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const bad = await getCustomer('CUSTOMER#c-1', 'c-1');
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['path.id']);
  });

  it("answers 404 for another customer's profile, and 401 without a token", async () => {
    const other = await getCustomer('c-1', 'c-2');
    expect([other.status, other.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const anonymous = await api.handler(
      apiEvent({ method: 'GET', resource: '/customers/{id}', path: '/customers/c-1', pathParameters: { id: 'c-1' } }),
      lambdaContext('customers-api'),
    );
    expect(anonymous.statusCode).toBe(401);
  });
});
