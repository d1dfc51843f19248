/**
 * The operations dashboard for review without deploying, rendered from the CDK app (`npm run dashboards`,
 * scripts/export-dashboards.ts, writes them):
 * - docs/dashboards/cloudwatch-dashboard.json: the DashboardBody CloudFormation would deploy (target aws, demo
 *   speed), with deploy-time names shown as ${LogicalId} / ${LogicalId.Attribute} / ${AWS::Region} placeholders;
 * - docs/dashboards/grafana-dashboard.json: the same three sections as a Grafana dashboard on the CloudWatch data
 *   source. Per-resource technical series match every function/queue/table of the account (dimension '*'), since
 *   physical names exist only after deploy; business metrics are exact. Every metric query reads the account of the
 *   `$account` variable (ACCOUNT_VARIABLE), so the same dashboard runs in the monitoring account of a CloudWatch
 *   cross-account observability setup (the hub, docs/observability.md "Grafana in the hub account").
 * test/dashboards.test.ts fails when the committed files differ from what this renders.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../lib/app';

const ROOT = path.resolve(import.meta.dirname, '..');
export const DASHBOARD_DIR = path.join(ROOT, 'docs', 'dashboards');

type Json = any;

/** Fn::Join / Ref / GetAtt → a string with placeholders for what only CloudFormation knows. */
function placeholders(value: Json): string {
  if (typeof value === 'string') return value;
  if (value?.Ref) return `\${${value.Ref}}`;
  if (value?.['Fn::GetAtt']) return `\${${value['Fn::GetAtt'].join('.')}}`;
  if (value?.['Fn::Join']) {
    const [separator, parts] = value['Fn::Join'];
    return parts.map(placeholders).join(separator);
  }
  throw new Error(`unexpected intrinsic in DashboardBody: ${JSON.stringify(value)}`);
}

export function synthesizedDashboard(): { name: string; body: Json } {
  const { app, stack } = buildApp({
    outdir: mkdtempSync(path.join(tmpdir(), 'shopwave-dashboards-')),
    context: { target: 'aws', 'aws:cdk:bundling-stacks': [] },
  });
  const template = app.synth().getStackByName(stack.stackName).template;
  const dashboards = Object.values(template.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const { DashboardName, DashboardBody } = dashboards[0].Properties;
  return { name: DashboardName, body: JSON.parse(placeholders(DashboardBody)) };
}

/**
 * The source account: a CloudWatch data source "Accounts" query (the accounts linked to the monitoring account's
 * sink). The data source puts its own "All" option (value `all`) first; `all` makes Grafana query every linked
 * account (a SEARCH without an account filter, one series per account), and an id reads that account only. Default
 * All. Outside a monitoring account the list is empty and the queries read the data source's own account.
 */
export const ACCOUNT_VARIABLE = {
  name: 'account',
  label: 'Source account',
  type: 'query',
  datasource: { type: 'cloudwatch', uid: '${datasource}' },
  query: { queryType: 'accounts', region: 'default', refId: 'CloudWatchVariableQueryEditor-VariableQuery' },
  definition: 'accounts()',
  refresh: 1,
  includeAll: false,
  multi: false,
  current: { text: 'All', value: 'all' },
  hide: 0,
} as const;

/** Grafana (CloudWatch data source): one row per section, one time series panel per metric widget. */
export function grafanaDashboard(name: string, body: Json): Json {
  const panels: Json[] = [];
  let id = 1;
  const widgets = [...body.widgets].sort((a: Json, b: Json) => a.y - b.y || a.x - b.x);
  for (const w of widgets) {
    const gridPos = { x: w.x, y: w.y, w: w.width, h: w.height * 2 };
    if (w.type === 'text') {
      const [title, ...rest] = String(w.properties.markdown).split('\n');
      panels.push({
        id: id++,
        type: 'row',
        title: title.replace(/^#\s*/, ''),
        collapsed: false,
        gridPos: { ...gridPos, h: 1 },
        panels: [],
      });
      panels.push({
        id: id++,
        type: 'text',
        title: '',
        gridPos: { ...gridPos, h: 2 },
        options: { mode: 'markdown', content: rest.join('\n') },
      });
      continue;
    }
    if (w.type === 'alarm') {
      panels.push({
        id: id++,
        type: 'alertlist',
        title: w.properties.title,
        gridPos,
        options: { showOptions: 'current', maxItems: 100, stateFilter: { firing: true, pending: true, normal: true } },
      });
      continue;
    }
    const targets = (w.properties.metrics as Json[][]).map((entry, i) => {
      const opts = (typeof entry.at(-1) === 'object' ? entry.at(-1) : {}) as Json;
      const refId = String(opts.id ?? `q${i}`);
      const base = {
        refId,
        id: opts.id ?? '',
        label: opts.label ?? '',
        hide: opts.visible === false,
        region: 'default',
        datasource: { type: 'cloudwatch', uid: '${datasource}' },
      };
      if (opts.expression) return { ...base, expression: opts.expression, queryMode: 'Metrics', metricQueryType: 0, metricEditorMode: 1 };
      const [namespace, metricName, ...dims] = entry.filter((e): e is string => typeof e === 'string');
      const dimensions: Record<string, string | string[]> = {};
      let exact = true;
      for (let d = 0; d + 1 < dims.length; d += 2) {
        const deployTime = dims[d + 1].includes('${');
        dimensions[dims[d]] = deployTime ? '*' : dims[d + 1];
        if (deployTime) exact = false;
      }
      return {
        ...base,
        namespace,
        metricName,
        accountId: `$${ACCOUNT_VARIABLE.name}`,
        dimensions,
        matchExact: exact,
        statistic: opts.stat ?? w.properties.stat ?? 'Average',
        period: String(opts.period ?? w.properties.period ?? 60),
        queryMode: 'Metrics',
        metricQueryType: 0,
        metricEditorMode: 0,
      };
    });
    panels.push({
      id: id++,
      type: 'timeseries',
      title: w.properties.title,
      gridPos,
      datasource: { type: 'cloudwatch', uid: '${datasource}' },
      targets,
      fieldConfig: {
        defaults: {
          min: w.properties.yAxis?.left?.min,
          max: w.properties.yAxis?.left?.max,
          custom: { stacking: { mode: w.properties.stacked ? 'normal' : 'none' } },
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'green', value: null },
              ...(w.properties.annotations?.horizontal ?? []).map((a: Json) => ({ color: 'red', value: a.value })),
            ],
          },
        },
        overrides: [],
      },
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    });
  }
  return {
    title: name,
    uid: 'shopwave-operations',
    tags: ['shopwave'],
    timezone: 'browser',
    schemaVersion: 39,
    time: { from: 'now-3h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [{ name: 'datasource', type: 'datasource', query: 'cloudwatch', label: 'CloudWatch', current: {}, hide: 0 }, ACCOUNT_VARIABLE],
    },
    panels,
  };
}

export function renderDashboards(): Record<string, string> {
  const { name, body } = synthesizedDashboard();
  return {
    'cloudwatch-dashboard.json': `${JSON.stringify({ DashboardName: name, DashboardBody: body }, null, 2)}\n`,
    'grafana-dashboard.json': `${JSON.stringify(grafanaDashboard(name, body), null, 2)}\n`,
  };
}
