/**
 * `npm run dashboards`: writes the synthesized CloudWatch dashboard and its Grafana version to docs/dashboards/
 * (tools/dashboards.ts renders them; test/dashboards.test.ts keeps the committed files current).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DASHBOARD_DIR, renderDashboards } from '../tools/dashboards';

mkdirSync(DASHBOARD_DIR, { recursive: true });
for (const [file, content] of Object.entries(renderDashboards())) {
  writeFileSync(path.join(DASHBOARD_DIR, file), content);
  console.log(`wrote docs/dashboards/${file}`);
}
