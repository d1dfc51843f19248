/** GET /customers/{id}: the caller's own profile (bearer token), never the payment method. */
import * as z from 'zod';
import { customerAuth } from '../shared/auth';
import { createApiHandler, IdSchema, notFound, parseInput } from '../shared/http';
import { getCustomerView } from './profiles';

export { customerItem, type Customer } from './profiles';

export const handler = createApiHandler({
  'GET /customers/{id}': async (req) => {
    const caller = req.customer();
    const { id } = parseInput(z.strictObject({ id: IdSchema }), req.event.pathParameters, 'path');
    // Only one's own profile; anyone else's is "not found".
    const customer = id === caller.customerId ? await getCustomerView(id) : undefined;
    if (!customer) throw notFound(`customer ${id}`);
    return { statusCode: 200, body: customer };
  },
}).use(customerAuth());
