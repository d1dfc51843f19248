import { apiFunction, type ServiceContext } from './context';

/** Catalog (functions/catalog/): products and merchants, public and read-only; availability comes from inventory. */
export function addCatalog(ctx: ServiceContext) {
  const api = apiFunction(ctx, 'CatalogApi', 'catalog');
  api.bindTables(ctx.tables, { read: ['catalog', 'inventory'] });
  return { api };
}
