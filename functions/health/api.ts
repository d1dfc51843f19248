/** GET /health: liveness only, no dependencies (readiness with dependency checks is GET /ready, issue #4). */
import { createApiHandler } from '../shared/http';

export const handler = createApiHandler({
  'GET /health': async () => ({ statusCode: 200, body: { status: 'ok', service: 'shopwave', time: new Date().toISOString() } }),
});
