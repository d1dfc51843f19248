/**
 * ShopWave's synthesized template (what `npm test` synthesized, cdk.out.test) is one the generic runtime can run
 * and the /ops page can draw: every alarm evaluable offline and on a resource of the template, and the dashboard
 * with the three sections the page shows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../functions/shared/http';
import { AlarmEvaluator } from '../runtime/alarms';
import { GATEWAY_HEADERS } from '../runtime/api-gateway';
import { MetricStore } from '../runtime/metrics';
import { loadPlatformModel } from '../runtime/template-model';

describe('the synthesized template', () => {
  const templatePath = path.join(import.meta.dirname, '..', '..', 'cdk.out.test', 'ShopWave.template.json');
  const model = loadPlatformModel(JSON.parse(readFileSync(templatePath, 'utf8')), {
    stackName: 'ShopWave',
    assetRoot: path.dirname(templatePath),
    naming: { region: 'us-east-1', accountId: '000000000000', sqsEndpoint: 'http://sqs.us-east-1.127.0.0.1:1', resourcePrefix: 'p-' },
  });

  it('has alarms the offline evaluator understands, every one on a resource of the template', () => {
    expect(model.alarms.length).toBeGreaterThan(40);
    expect(() => new AlarmEvaluator(model.alarms, new MetricStore())).not.toThrow();
    const functions = new Set(model.functions.map((f) => f.functionName));
    const queues = new Set(model.queues.map((q) => q.queueName));
    for (const a of model.alarms) {
      for (const m of [a.metric, ...(a.metrics ?? []).map((x) => x.metricStat)].filter((x) => x !== undefined)) {
        if (m.dimensions.FunctionName) expect(functions, a.alarmName).toContain(m.dimensions.FunctionName);
        if (m.dimensions.QueueName) expect(queues, a.alarmName).toContain(m.dimensions.QueueName);
        if (m.dimensions.ApiName) expect(m.dimensions.ApiName).toBe(model.restApis[0].name);
      }
    }
  });

  it('has the dashboard body, parsed, with its three sections', () => {
    expect(model.dashboards).toHaveLength(1);
    const texts = model.dashboards[0].body.widgets
      .filter((w: any) => w.type === 'text')
      .map((w: any) => w.properties.markdown.split('\n')[0]);
    expect(texts).toEqual(['# Customer experience', '# Business', '# Technical']);
  });
});

describe('the offline API gateway and the functions', () => {
  it('send the same security headers, so an answer from either looks alike to a browser', () => {
    expect(GATEWAY_HEADERS).toMatchObject({ ...SECURITY_HEADERS, 'cache-control': 'no-store' });
  });
});
