/**
 * The committed dashboard definitions (docs/dashboards/) are what the CDK code synthesizes: review them in a pull
 * request, import the Grafana one, and trust they match what `cdk deploy` creates. Regenerate: `npm run dashboards`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_VARIABLE, DASHBOARD_DIR, renderDashboards } from '../tools/dashboards';

let rendered: Record<string, string>;
beforeAll(() => {
  rendered = renderDashboards();
});

describe('docs/dashboards', () => {
  it.each(['cloudwatch-dashboard.json', 'grafana-dashboard.json'])('%s is up to date with the CDK code (npm run dashboards)', (file) => {
    expect(readFileSync(path.join(DASHBOARD_DIR, file), 'utf8')).toBe(rendered[file]);
  });

  it('gives Grafana the same three sections and every metric widget as a CloudWatch panel', () => {
    const cloudwatch = JSON.parse(rendered['cloudwatch-dashboard.json']).DashboardBody;
    const grafana = JSON.parse(rendered['grafana-dashboard.json']);
    expect(grafana.panels.filter((p: any) => p.type === 'row').map((p: any) => p.title)).toEqual([
      'Customer experience',
      'Business',
      'Technical',
    ]);
    const graphs = cloudwatch.widgets.filter((w: any) => w.type === 'metric');
    const series = grafana.panels.filter((p: any) => p.type === 'timeseries');
    expect(series.map((p: any) => p.title)).toEqual(graphs.map((w: any) => w.properties.title));
    for (const panel of series) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.expression ?? target.metricName, panel.title).toBeTruthy();
    }
    // Seed 001's panel is there with the flow-gap expression.
    const lost = series.find((p: any) => p.title === 'Charged but not received by the restaurant');
    expect(lost.targets.map((t: any) => t.expression).filter(Boolean)).toEqual(['FILL(charged, 0) - FILL(received, 0)']);
  });

  it('reads every CloudWatch metric query from the $account variable, an "Accounts" query of the data source', () => {
    const grafana = JSON.parse(rendered['grafana-dashboard.json']);
    const account = grafana.templating.list.find((v: any) => v.name === 'account');
    expect(account).toMatchObject({ type: 'query', query: { queryType: 'accounts' }, current: { value: 'all' } });
    expect(account.datasource.uid).toBe('${datasource}');
    const targets = grafana.panels.flatMap((p: any) => p.targets ?? []);
    const metricQueries = targets.filter((t: any) => !t.expression);
    expect(metricQueries.length).toBeGreaterThan(50);
    for (const t of metricQueries) expect(t.accountId, `${t.namespace} ${t.metricName}`).toBe(`$${ACCOUNT_VARIABLE.name}`);
    // Math expressions compute on those queries' results (their ids), so they read the same account.
    for (const t of targets.filter((t: any) => t.expression)) expect(t.accountId, t.expression).toBeUndefined();
  });
});
