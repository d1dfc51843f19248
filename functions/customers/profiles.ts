/** Customer profiles. The payment method token is for payments only: the public view never carries it. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../shared/aws-clients';
import { requireEnv } from '../shared/env';

export { type Customer, type CustomerView, customerItem } from './items';
import type { CustomerView } from './items';

export async function getCustomerView(customerId: string): Promise<CustomerView | undefined> {
  const res = await ddb.send(
    new GetCommand({
      TableName: requireEnv('CUSTOMERS_TABLE_NAME'),
      Key: { pk: `CUSTOMER#${customerId}`, sk: 'PROFILE' },
      // Read only the public fields, so the token cannot leak even if the view below changes.
      ProjectionExpression: 'customerId, #name, email',
      ExpressionAttributeNames: { '#name': 'name' },
    }),
  );
  if (!res.Item) return undefined;
  return { customerId: res.Item.customerId, name: res.Item.name, email: res.Item.email };
}
