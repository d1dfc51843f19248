/**
 * The cost meter on the whole platform (offline/runtime/usage.ts, `meterRequests`): one order placed and delivered
 * is counted in every service it is billed by, and the counts move only with what the order did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageDelta } from '../../offline/runtime/usage';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ meterRequests: true });
});
afterAll(() => t?.stop());

describe('cost meter', () => {
  it('counts one delivered order in every service it uses', async () => {
    const before = t.platform.usage.snapshot();
    const res = await t.placeOrder('c-alice', 'm-sushi', [{ productId: 'p-miso-soup', quantity: 1 }]);
    expect(res.status).toBe(202);
    await t.waitForStatus(res.body.orderId, 'DELIVERED');
    const d = usageDelta(t.platform.usage.snapshot(), before);
    const sum = (prefix: string) => Object.entries(d).reduce((n, [k, v]) => (k.startsWith(prefix) ? n + v : n), 0);
    expect(d['apigateway.requests']).toBeGreaterThanOrEqual(2); // the POST and the status reads
    expect(sum('lambda.invocations.')).toBeGreaterThan(5);
    expect(sum('lambda.durationMs.')).toBeGreaterThan(0);
    expect(d['dynamodb.writeUnits']).toBeGreaterThan(0);
    expect(d['dynamodb.readUnits']).toBeGreaterThan(0);
    expect(sum('dynamodb.streams.GetRecords')).toBeGreaterThan(0);
    expect(d['sqs.requests.SendMessage']).toBeGreaterThan(0);
    expect(d['eventbridge.events']).toBeGreaterThanOrEqual(5);
    expect(sum('logs.bytes.')).toBeGreaterThan(0);
    expect(sum('logs.emfLines.')).toBeGreaterThan(0);
  });
});
