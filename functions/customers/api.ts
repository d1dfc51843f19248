/** GET /customers/{id}: the profile, never the payment method. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ddb } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';
import { createApiHandler, IdSchema, notFound, parseInput } from '../shared/http';

export interface Customer {
  customerId: string;
  name: string;
  email: string;
  paymentMethod: string;
}
export const customerItem = (c: Customer) => ({ pk: `CUSTOMER#${c.customerId}`, sk: 'PROFILE', ...c });

export const handler = createApiHandler({
  'GET /customers/{id}': async (req) => {
    const { id } = parseInput(z.strictObject({ id: IdSchema }), req.event.pathParameters, 'path');
    const res = await ddb.send(new GetCommand({ TableName: requireEnv('CUSTOMERS_TABLE_NAME'), Key: { pk: `CUSTOMER#${id}`, sk: 'PROFILE' } }));
    if (!res.Item) throw notFound(`customer ${id}`);
    return { statusCode: 200, body: { customerId: res.Item.customerId, name: res.Item.name, email: res.Item.email } };
  },
});
