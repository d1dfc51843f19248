/**
 * Alarms and dashboard rows find what they watch in the construct tree (lib/constructs/watch.ts): a function or
 * consumer added anywhere in the stack, even after the stack's constructor, gets its alarms and its series
 * without anyone editing a list.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { EventConsumer } from '../lib/constructs/event-consumer';
import { ServiceFunction } from '../lib/constructs/service-function';
import type { ShopWaveStack } from '../lib/shopwave-stack';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function synth(extend: (stack: ShopWaveStack) => void = () => {}): { resources: Resources; stack: ShopWaveStack } {
  const { app, stack } = buildApp({
    outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-discovery-')),
    // aws: the target that deploys every alarm (LocalStack and offline leave out those they cannot feed, Throttles).
    context: { target: 'aws', 'aws:cdk:bundling-stacks': [] },
  });
  extend(stack);
  const resources = app.synth().getStackByName(stack.stackName).template.Resources as Resources;
  return { resources, stack };
}

const refId = (v: any): string => v?.Ref ?? v?.['Fn::GetAtt']?.[0];
const idOf = (stack: ShopWaveStack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as any);
const alarmsByName = (resources: Resources) =>
  new Map(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => [r.Properties.AlarmName as string, r.Properties]),
  );

/** The dashboard body with each Ref / GetAtt as `${LogicalId}`, parsed. */
function dashboard(resources: Resources): { widgets: any[] } {
  const [body] = Object.values(resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Dashboard')
    .map((r) => r.Properties.DashboardBody);
  const text = (v: any): string =>
    typeof v === 'string' ? v : v['Fn::Join'] ? v['Fn::Join'][1].map(text).join(v['Fn::Join'][0]) : `\${${refId(v)}}`;
  return JSON.parse(text(body));
}
/** The labels of a graph's series. */
const series = (body: { widgets: any[] }, title: string): string[] =>
  body.widgets.find((w) => w.properties.title === title).properties.metrics.map((m: any[]) => m.at(-1).label);

describe('discovery', () => {
  it('watches a function and a consumer added after the stack was built: alarms, backlog, DLQ to the topic, dashboard series', () => {
    let extraApi!: ServiceFunction;
    let extraConsumer!: EventConsumer;
    const { resources, stack } = synth((s) => {
      extraApi = new ServiceFunction(s, 'ExtraApi', { config: s.config, service: 'health', entry: 'api' });
      const events = ['order.shipped'] as const;
      extraConsumer = new EventConsumer(s, 'ExtraConsumer', {
        config: s.config,
        bus: s.bus,
        service: 'shipping',
        entry: 'consumer',
        events,
      });
    });
    const alarms = alarmsByName(resources);
    const dimension = (name: string) => alarms.get(`ShopWave-${name}`)?.Dimensions?.map((d: any) => refId(d.Value));
    expect(dimension('ExtraApiErrors')).toEqual([idOf(stack, extraApi)]);
    expect(dimension('ExtraApiThrottles')).toEqual([idOf(stack, extraApi)]);
    // A consumer's Handler goes by the consumer's id, like InventoryConsumerErrors.
    expect(dimension('ExtraConsumerErrors')).toEqual([idOf(stack, extraConsumer.fn)]);
    expect(dimension('ExtraConsumerThrottles')).toEqual([idOf(stack, extraConsumer.fn)]);
    expect(dimension('ExtraConsumerBacklog')).toEqual([idOf(stack, extraConsumer.queue)]);
    const [topicId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')!;
    expect(alarms.get('ShopWave-ExtraConsumerDeadLetters')?.AlarmActions?.map(refId)).toEqual([topicId]);

    const body = dashboard(resources);
    for (const title of ['Lambda errors', 'Lambda throttles', 'Lambda duration p99 (ms)']) {
      expect(series(body, title), title).toEqual(expect.arrayContaining(['ExtraApi', 'ExtraConsumer']));
    }
    for (const title of ['Queue depth (visible messages)', 'Dead-letter queues (messages)', 'Age of oldest message (s)']) {
      expect(series(body, title), title).toContain('ExtraConsumer');
    }
    const status = body.widgets.find((w) => w.type === 'alarm').properties.alarms as string[];
    expect(status).toContain(`\${${idOf(stack, stack.node.findChild('Alarms').node.findChild('ExtraApiErrors'))}}`);
  });

  it('gives every ServiceFunction of the stack one errors and one throttles alarm, named as before the lists went', () => {
    const { resources, stack } = synth();
    const functions = stack.node.findAll().filter((c): c is ServiceFunction => c instanceof ServiceFunction);
    const names = functions.map((fn) => fn.watchName).sort();
    expect(names).toEqual([
      'AnalyticsConsumer',
      'CatalogApi',
      'CourierSimulator',
      'CustomersApi',
      'DailyExport',
      'DeliveryReconciler',
      'HealthApi',
      'InventoryConsumer',
      'MerchantApi',
      'NotificationsConsumer',
      'OrdersApi',
      'OrdersSaga',
      'OutboxRelay',
      'PaymentReconciler',
      'PaymentsConsumer',
      'ReadyApi',
      'RestaurantAckTimeout',
      'RestaurantConsumer',
      'ShippingConsumer',
      'TabletSimulator',
      'TrackingApi',
      'TrackingFreshnessCheck',
    ]);
    const alarms = alarmsByName(resources);
    const errorAlarms = [...alarms.keys()].filter((n) => n.endsWith('Errors'));
    // And the pre-traffic hook's: deploy machinery, not a ServiceFunction (lib/constructs/pre-traffic-hook.ts says
    // why), so CanaryDeployments alarms it and it has no dashboard row.
    expect(errorAlarms.sort()).toEqual([...names, 'PreTrafficHook'].map((n) => `ShopWave-${n}Errors`).sort());
    for (const fn of functions) {
      expect(
        alarms.get(`ShopWave-${fn.watchName}Throttles`)?.Dimensions?.map((d: any) => refId(d.Value)),
        fn.watchName,
      ).toEqual([idOf(stack, fn)]);
    }
    expect(series(dashboard(resources), 'Lambda errors')).toEqual(functions.map((fn) => fn.watchName));
  });
});
