/** GET /customers/{id}: the profile, never the payment method. */
import { z } from 'zod';
import { createApiHandler, IdSchema, notFound, parseInput } from '../shared/http';
import { getCustomerView } from './profiles';

export { customerItem, type Customer } from './profiles';

export const handler = createApiHandler({
  'GET /customers/{id}': async (req) => {
    const { id } = parseInput(z.strictObject({ id: IdSchema }), req.event.pathParameters, 'path');
    const customer = await getCustomerView(id);
    if (!customer) throw notFound(`customer ${id}`);
    return { statusCode: 200, body: customer };
  },
});
