/**
 * The log-derived business metrics (lib/constructs/log-business-metrics.ts) as CloudFormation sees them: four metric
 * filters on the right functions' log groups, JSON patterns on the messages the handlers write, their own namespace,
 * revenue valued from `$.amount`; none on LocalStack (no AWS::Logs::MetricFilter provider in 4.14).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOG_MESSAGES } from '../functions/shared/log-messages';
import { buildApp } from '../lib/app';
import { NAMESPACE } from '../lib/constructs/business-metrics';
import { FROM_LOGS_NAMESPACE } from '../lib/constructs/log-business-metrics';
import { compileFilterPattern } from '../offline/runtime/filter-pattern';

function synth(target: string): Template {
  const { app, stack } = buildApp({
    outdir: mkdtempSync(path.join(tmpdir(), `shopwave-logmetrics-${target}-`)),
    context: { target, 'aws:cdk:bundling-stacks': [] },
  });
  app.synth();
  return Template.fromStack(stack);
}

/** The logical id of the log group a function (by its id prefix) writes to. */
function logGroupOf(template: Template, functionIdPrefix: string): string {
  const fns = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith(functionIdPrefix));
  expect(fns.length, functionIdPrefix).toBe(1);
  return fns[0][1].Properties.LoggingConfig.LogGroup.Ref;
}

describe.each(['aws', 'offline'])('target %s', (target) => {
  let template: Template;
  beforeAll(() => {
    template = synth(target);
  });

  const filters = () => Object.values(template.findResources('AWS::Logs::MetricFilter'));
  const filterFor = (metricName: string) => {
    const found = filters().filter((f) => f.Properties.MetricTransformations[0].MetricName === metricName);
    const inNamespace = found.filter((f) => f.Properties.MetricTransformations[0].MetricNamespace === FROM_LOGS_NAMESPACE);
    expect(inNamespace.length, metricName).toBe(1);
    return inNamespace[0].Properties;
  };

  it('counts orders placed on the orders API log group', () => {
    const p = filterFor('OrdersPlaced');
    expect(p.LogGroupName).toEqual({ Ref: logGroupOf(template, 'OrdersApi') });
    expect(p.FilterPattern).toBe(`{ $.message = "${LOG_MESSAGES.orderPlaced}" }`);
    expect(p.MetricTransformations).toEqual([
      { MetricNamespace: FROM_LOGS_NAMESPACE, MetricName: 'OrdersPlaced', MetricValue: '1', DefaultValue: 0, Unit: 'Count' },
    ]);
  });

  it('counts charges, and sums the charged amount from $.amount, on the payments consumer log group', () => {
    const charged = filterFor('PaymentsCharged');
    const revenue = filterFor('ChargedAmount');
    const payments = logGroupOf(template, 'PaymentsConsumerHandler');
    expect(charged.LogGroupName).toEqual({ Ref: payments });
    expect(revenue.LogGroupName).toEqual({ Ref: payments });
    expect(charged.FilterPattern).toBe(`{ $.message = "${LOG_MESSAGES.paymentCharged}" }`);
    expect(charged.MetricTransformations[0]).toMatchObject({ MetricValue: '1', Unit: 'Count' });
    // The value field appears in the pattern, as CloudWatch requires for `$.field` values.
    expect(revenue.FilterPattern).toBe(`{ ($.message = "${LOG_MESSAGES.paymentCharged}") && ($.amount >= 0) }`);
    expect(revenue.MetricTransformations).toEqual([
      { MetricNamespace: FROM_LOGS_NAMESPACE, MetricName: 'ChargedAmount', MetricValue: '$.amount', DefaultValue: 0, Unit: 'None' },
    ]);
  });

  it('counts orders received by the restaurant on the saga log group: the status line with that status only', () => {
    const p = filterFor('OrdersReceivedByRestaurant');
    expect(p.LogGroupName).toEqual({ Ref: logGroupOf(template, 'OrdersSagaHandler') });
    const pattern = compileFilterPattern(p.FilterPattern);
    const line = (status: string) => JSON.stringify({ level: 'INFO', message: LOG_MESSAGES.orderStatusChanged, status });
    expect(pattern.match(line('RECEIVED_BY_RESTAURANT'))).toBeDefined();
    expect(pattern.match(line('CHARGED'))).toBeUndefined();
  });

  it('publishes nothing into the EMF namespace under the EMF names, and no dimensions', () => {
    for (const f of filters()) {
      const [t] = f.Properties.MetricTransformations;
      if (t.MetricNamespace === NAMESPACE) expect(t.MetricName).toBe('ApiThrottledRequests'); // the one ShopWave filter
      expect(t.Dimensions).toBeUndefined();
    }
    template.resourceCountIs('AWS::Logs::MetricFilter', 5);
  });

  it('draws them on the dashboard beside the EMF figures', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('Orders per minute, derived from logs');
    expect(body).toContain(FROM_LOGS_NAMESPACE);
  });
});

describe('target localstack', () => {
  it('has no metric filter at all (LocalStack 4.14 has no provider for AWS::Logs::MetricFilter)', () => {
    const template = synth('localstack');
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });
});
