/**
 * Rules change at runtime as on AWS: DescribeRule, PutRule (a new pattern), DisableRule and EnableRule through the
 * real SDK client, and the next PutEvents routes with the changed rule.
 */
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeEmulator } from './eventbridge-emulator';
import type { PlatformModel } from './model';

const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:restaurant';
const PATTERN = { source: ['shopwave.orders'], 'detail-type': ['order.paid'] };
const model = {
  naming: { region: 'us-east-1', accountId: '000000000000' },
  buses: [{ name: 'bus', arn: 'arn:aws:events:us-east-1:000000000000:event-bus/bus' }],
  rules: [
    {
      logicalId: 'RestaurantRule1234ABCD',
      name: 'restaurant-rule',
      eventBusName: 'bus',
      state: 'ENABLED',
      eventPattern: PATTERN,
      targets: [{ id: 't', arn: QUEUE, kind: 'sqs' }],
    },
  ],
} as unknown as PlatformModel;

const delivered: string[] = [];
const bus = new EventBridgeEmulator(model, {
  toQueue: async (_arn, body) => void delivered.push(JSON.parse(body)['detail-type']),
  toFunction: () => undefined,
});
let client: EventBridgeClient;
beforeAll(async () => {
  client = new EventBridgeClient({
    endpoint: await bus.start(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});
afterAll(() => bus.stop());

const publish = () =>
  client.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: 'bus', Source: 'shopwave.orders', DetailType: 'order.paid', Detail: '{"data":{}}' }],
    }),
  );

describe('rules at runtime', () => {
  it('describes, re-patterns, disables and enables a rule; routing follows', async () => {
    const described = await client.send(new DescribeRuleCommand({ Name: 'restaurant-rule', EventBusName: 'bus' }));
    expect(described.State).toBe('ENABLED');
    expect(JSON.parse(described.EventPattern!)).toEqual(PATTERN);
    await publish();
    expect(delivered).toEqual(['order.paid']);

    await client.send(
      new PutRuleCommand({
        Name: 'restaurant-rule',
        EventBusName: 'bus',
        EventPattern: JSON.stringify({ ...PATTERN, 'detail-type': ['order.paid.v2'] }),
      }),
    );
    await publish();
    expect(delivered).toHaveLength(1); // matched by no rule now
    await client.send(new PutRuleCommand({ Name: 'restaurant-rule', EventBusName: 'bus', EventPattern: JSON.stringify(PATTERN) }));
    await client.send(new DisableRuleCommand({ Name: 'restaurant-rule', EventBusName: 'bus' }));
    expect((await client.send(new DescribeRuleCommand({ Name: 'restaurant-rule' }))).State).toBe('DISABLED');
    await publish();
    expect(delivered).toHaveLength(1);
    await client.send(new EnableRuleCommand({ Name: 'restaurant-rule', EventBusName: 'bus' }));
    await publish();
    expect(delivered).toEqual(['order.paid', 'order.paid']);
  });

  it('answers ResourceNotFoundException for an unknown rule and refuses a pattern that is not an object', async () => {
    await expect(client.send(new DisableRuleCommand({ Name: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client.send(new PutRuleCommand({ Name: 'restaurant-rule', EventPattern: '[1]' }))).rejects.toThrow(/JSON object/);
  });
});
