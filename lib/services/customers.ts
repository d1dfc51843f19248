import { apiFunction, type ServiceContext } from './context';

/** Customers (functions/customers/): a customer's own profile, behind a bearer token. */
export function addCustomers(ctx: ServiceContext) {
  const api = apiFunction(ctx, 'CustomersApi', 'customers');
  api.bindTables(ctx.tables, { read: ['customers'] });
  ctx.identity.grantVerify(api);
  return { api };
}
