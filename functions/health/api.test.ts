import { describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../../test/support/lambda';

describe('GET /health', () => {
  it('answers 200 ok without any table or endpoint configured (liveness only)', async () => {
    for (const name of Object.keys(process.env))
      if (name.endsWith('_TABLE_NAME') || name.startsWith('AWS_ENDPOINT_URL')) delete process.env[name];
    const { handler } = await import('./api');
    const res = await handler(apiEvent({ method: 'GET', resource: '/health', path: '/health' }), lambdaContext('health'));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toEqual({ status: 'ok', service: 'shopwave', time: expect.any(String) });
    expect(Math.abs(Date.parse(body.time) - Date.now())).toBeLessThan(60_000);
  });
});
