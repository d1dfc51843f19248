/**
 * The offline platform runs the template, not a copy of it: misspell one rule's detail-type in the synthesized
 * template and the saga stops at exactly that hop, as it would on AWS.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../offline/runtime/wait';
import { startTestPlatform, TEST_TEMPLATE, type TestPlatform } from '../support/platform';

const BROKEN = path.join(path.dirname(TEST_TEMPLATE), 'ShopWave.broken-rule.template.json');
let t: TestPlatform;
const seen: string[] = [];

beforeAll(async () => {
  const template = JSON.parse(readFileSync(TEST_TEMPLATE, 'utf8'));
  const [ruleId, rule] = Object.entries<any>(template.Resources).find(([id]) => id.startsWith('InventoryConsumerRule'))!;
  expect(rule.Properties.EventPattern['detail-type']).toContain('order.created');
  rule.Properties.EventPattern['detail-type'] = rule.Properties.EventPattern['detail-type'].map((d: string) =>
    d === 'order.created' ? 'order.creatd' : d,
  );
  template.Resources[ruleId] = rule;
  writeFileSync(BROKEN, JSON.stringify(template));
  t = await startTestPlatform({ templatePath: BROKEN });
  t.platform.onEvent((e: any) => seen.push(`${e['detail-type']}:${e.detail.data.orderId}`));
});
afterAll(async () => {
  await t?.stop();
  rmSync(BROKEN, { force: true });
});

it('stops the saga at the hop whose rule no longer matches', async () => {
  const placed = await t.placeOrder('c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 1 }]);
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId;
  // The event is published and other consumers get it (notifications, analytics)…
  await waitFor(() => seen.includes(`order.created:${orderId}`), { timeoutMs: 15_000 });
  const sqs = t.platform.sqsClient();
  const depth = async (prefix: string) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: t.platform.queueUrl(prefix),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
  };
  await waitFor(async () => (await depth('NotificationsConsumerQueue')) === 0 && (await depth('AnalyticsConsumerQueue')) === 0, {
    timeoutMs: 15_000,
  });
  // …but inventory never hears of it: no reservation, and the order stays PLACED.
  expect(seen.filter((s) => s.endsWith(`:${orderId}`))).toEqual([`order.created:${orderId}`]);
  expect((await t.readOrder(orderId)).body.status).toBe('PLACED');
});
