import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { apiEvent, lambdaContext } from '../../test/support/lambda';
import { useTables, type TestTables } from '../../test/support/tables';

let t: TestTables;
let api: typeof import('./api');

beforeAll(async () => {
  t = await useTables();
  process.env.POWERTOOLS_SERVICE_NAME = 'customers';
  api = await import('./api');
  await t.doc.send(
    new PutCommand({ TableName: t.names.customers, Item: api.customerItem({ customerId: 'c-1', name: 'Ada', email: 'ada@example.com', paymentMethod: 'tok_secret_visa' }) }),
  );
});

async function getCustomer(id: string) {
  const res = await api.handler(apiEvent({ method: 'GET', resource: '/customers/{id}', path: `/customers/${id}`, pathParameters: { id } }), lambdaContext('customers-api'));
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
    const bad = await getCustomer('CUSTOMER#c-1');
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['path.id']);
  });
});
