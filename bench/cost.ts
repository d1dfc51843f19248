/**
 * `npm run bench -- --profile cost [--orders 50] [--record]` (issue 12, the cost model): places orders on the
 * offline platform at test speed (cdk.out.test), counts every AWS request they cause at the runtime's boundary
 * (offline/runtime/usage.ts), and prices them with the list prices of bench/prices-us-east-1.json
 * (bench/pricing.ts): $ per 100,000 orders by line item, $ a month idle from the aws template (its alarms,
 * dashboards, schedules, event source mappings, keys), and seed 004's always-on container design beside both.
 * Method and assumptions: docs/cost.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { UsageCounts } from '../offline/runtime/usage';
import { usageDelta } from '../offline/runtime/usage';
import {
  alarmMetricCounts,
  type ContainerDesign,
  type ContainerOrderUsage,
  HOURS_PER_MONTH,
  type LineItem,
  NO_USAGE,
  type PriceList,
  priceContainerIdle,
  priceContainerOrders,
  priceIdle,
  priceUsage,
  type ServerlessUsage,
  schedulePerMonth,
  totalUsd,
} from './pricing';

/**
 * Assumptions that are not prices (docs/cost.md says why each). Bytes a Lambda invocation adds to its log group
 * beyond what the function prints: START (~90 B), END (~70 B) and REPORT (~190 B, more with X-Ray) lines, which the
 * offline runtime does not write.
 */
export const ASSUMPTIONS = {
  lambdaPlatformLogBytesPerInvocation: 350,
  /** Lambda's SQS event source mappings start with 5 pollers each, long-polling 20 s (AWS Lambda docs). */
  pollersPerSqsMapping: 5,
  /** X-Ray, active tracing on the aws target: every invocation counted as a recorded trace (upper bound). */
  tracesPerInvocation: 1,
  /** The simulated restaurant tablet and courier stand for people outside the platform: their Lambda is not priced. */
  excludedFunctions: /Simulator/,
  container: {
    /** Bytes per API request through the ALB (request + response), and per order through the NAT (none needed). */
    albBytesPerRequest: 2048,
    natBytesPerOrder: 0,
  },
};

/** Seed 004's design, small (its rule 10: "keep costs low"), Multi-AZ database as production would have it. */
export const CONTAINER_DESIGN: ContainerDesign = {
  eksClusters: 1,
  nodes: { priceKey: 'ec2.t3.medium.hour', count: 2, ebsGb: 20 },
  rds: { priceKey: 'rds.postgres.db.t3.medium.multiAz.hour', storageGb: 20, storagePriceKey: 'rds.gp2.multiAzGbMonth' },
  cache: { priceKey: 'elasticache.cache.t3.micro.hour', count: 1 },
  natGateways: 1,
  albs: 1,
  publicIpv4: 3,
  ecrGb: 1,
  alarms: 2,
  dashboards: 2,
};

type Resource = { Type: string; Properties?: any };

/** The aws template's facts the prices need: functions' memory and architecture, schedules, mappings, keys. */
function awsInventory(resources: Record<string, Resource>) {
  const fns = new Map<string, { memoryMb: number; arch: 'arm64' | 'x86_64' }>();
  for (const [id, r] of Object.entries(resources))
    if (r.Type === 'AWS::Lambda::Function')
      fns.set(id, { memoryMb: r.Properties?.MemorySize ?? 128, arch: r.Properties?.Architectures?.[0] === 'arm64' ? 'arm64' : 'x86_64' });
  const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
  const queueIds = new Set(ofType('AWS::SQS::Queue').map(([id]) => id));
  const sqsMappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, r]) => {
    const arn = r.Properties?.EventSourceArn;
    return queueIds.has(arn?.['Fn::GetAtt']?.[0]);
  }).length;
  const schedules = ofType('AWS::Events::Rule')
    .filter(([, r]) => r.Properties?.ScheduleExpression && (r.Properties.State ?? 'ENABLED') === 'ENABLED')
    .flatMap(([id, r]) =>
      (r.Properties.Targets ?? []).map((t: any) => ({
        rule: id,
        expression: r.Properties.ScheduleExpression as string,
        functionLogicalId: t.Arn?.['Fn::GetAtt']?.[0] as string,
      })),
    );
  return {
    fns,
    sqsMappings,
    schedules,
    fifoQueues: ofType('AWS::SQS::Queue').filter(([, r]) => r.Properties?.FifoQueue).length,
    alarmMetrics: alarmMetricCounts(resources),
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    kmsKeys: ofType('AWS::KMS::Key').length,
    userPools: ofType('AWS::Cognito::UserPool').length,
    tracing: ofType('AWS::Lambda::Function').some(([, r]) => r.Properties?.TracingConfig?.Mode === 'Active'),
  };
}
type Inventory = ReturnType<typeof awsInventory>;

/**
 * Billed usage from counters: Lambda by function at the aws template's memory and architecture (the logical ids are
 * the same on every target), the rest as counted. `logicalIdOf` maps an offline function name to its logical id.
 */
export function billedUsage(c: UsageCounts, inv: Inventory, logicalIdOf: (fn: string) => string | undefined): ServerlessUsage {
  const u: ServerlessUsage = { ...NO_USAGE, lambdaGbSeconds: { arm64: 0, x86_64: 0 } };
  let appLogBytes = 0;
  for (const [k, v] of Object.entries(c)) {
    const [, kind, fn] = /^(lambda\.invocations|lambda\.durationMs|logs\.bytes)\.(.+)$/.exec(k) ?? [];
    if (!kind) continue;
    const id = logicalIdOf(fn);
    if (!id || ASSUMPTIONS.excludedFunctions.test(id)) continue;
    const f = inv.fns.get(id) ?? { memoryMb: 128, arch: 'x86_64' as const };
    if (kind === 'lambda.invocations') u.lambdaInvocations += v;
    if (kind === 'lambda.durationMs') u.lambdaGbSeconds[f.arch] += (v / 1000) * (f.memoryMb / 1024);
    if (kind === 'logs.bytes') appLogBytes += v;
  }
  const sum = (prefix: string) => Object.entries(c).reduce((n, [k, v]) => (k.startsWith(prefix) ? n + v : n), 0);
  const sqs = sum('sqs.requests.') - (c['sqs.requests.CreateQueue'] ?? 0);
  return {
    ...u,
    dynamodbReadUnits: c['dynamodb.readUnits'] ?? 0,
    dynamodbWriteUnits: c['dynamodb.writeUnits'] ?? 0,
    // The only stream reader is Lambda's event source mapping: free.
    dynamodbStreamReads: 0,
    sqsRequests: inv.fifoQueues ? 0 : sqs,
    sqsFifoRequests: inv.fifoQueues ? sqs : 0,
    eventbridgeEvents: c['eventbridge.events'] ?? 0,
    apiRequests: c['apigateway.requests'] ?? 0,
    logBytes: appLogBytes + u.lambdaInvocations * ASSUMPTIONS.lambdaPlatformLogBytesPerInvocation,
    putMetricDataRequests: c['cloudwatch.putMetricDataRequests'] ?? 0,
    xrayTraces: inv.tracing ? u.lambdaInvocations * ASSUMPTIONS.tracesPerInvocation : 0,
  };
}

const scale = (c: UsageCounts, k: number): UsageCounts => Object.fromEntries(Object.entries(c).map(([n, v]) => [n, v * k]));
const money = (n: number) => Number(n.toFixed(n < 1 ? 4 : 2));
const table = (items: LineItem[]) =>
  items.map((i) => ({ service: i.service, item: i.item, quantity: Number(i.quantity.toPrecision(4)), unit: i.unit, usd: money(i.usd) }));

function commit(root: string): string | null {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=7'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

export async function measureCost(opts: { root: string; templateDir?: string; orders: number; record: boolean; label?: string }) {
  const { root, orders } = opts;
  const outdir = path.resolve(root, opts.templateDir ?? 'cdk.out.test');
  const templatePath = path.join(outdir, 'ShopWave.template.json');
  if (!existsSync(templatePath)) throw new Error(`${templatePath} not found: run 'node scripts/synth.mjs --test' first`);
  const prices: PriceList = JSON.parse(readFileSync(path.join(root, 'bench', 'prices-us-east-1.json'), 'utf8'));
  const startedAt = new Date().toISOString();

  console.log('synthesizing the aws template (alarms, memory, architecture, schedules)…');
  const { synthResources } = await import('../tools/alarms-per-target');
  const inv = awsInventory(synthResources('aws'));

  const { startPlatform } = await import('../offline/shopwave/platform');
  const { seedDemoData } = await import('../tools/seed-data');
  // timeScale 20: the 1-minute schedules tick every 20 minutes, so none runs inside the orders' window (they are
  // measured apart below). Visibility timeouts scale too, which only matters on a retry.
  const platform = await startPlatform({ templatePath, port: 0, logs: 'silent', meterRequests: true, timeScale: 20 });
  try {
    const logicalIdOf = (fn: string) => platform.model.functions.find((f) => f.functionName === fn)?.logicalId;
    await seedDemoData({
      doc: platform.documentClient(),
      tableName: (k) => platform.tableName({ catalog: 'DataCatalog', customers: 'DataCustomers', inventory: 'DataInventory' }[k]),
    });
    const auth = { authorization: `Bearer ${await platform.issuer.sign('c-alice')}` };
    // Delivery is watched on the bus (order.delivered), not by polling the API: polls would be counted as cost.
    const delivered = new Set<string>();
    platform.onEvent((e) => {
      if (e['detail-type'] !== 'order.delivered') return;
      const m = /"orderId":"([^"]+)"/.exec(JSON.stringify(e.detail));
      if (m) delivered.add(m[1]);
    });
    const quiet = async () => {
      // Until every queue is empty (nothing ready, delayed or in flight) for 2 s, at most 60 s.
      const until = Date.now() + 60_000;
      let quietSince = Date.now();
      while (Date.now() < until && Date.now() - quietSince < 2000) {
        const busy = platform.model.queues.some((q) => {
          const m = platform.inspectQueue(q.queueName);
          return m && m.ready.length + m.delayed.length + m.inflight.length > 0;
        });
        if (busy) quietSince = Date.now();
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await quiet();
    const before = platform.usage.snapshot();
    const started = Date.now();
    const one = async (): Promise<void> => {
      const res = await fetch(`${platform.apiUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ merchantId: 'm-sushi', items: [{ productId: 'p-miso-soup', quantity: 1 }] }),
      });
      const { orderId } = (await res.json()) as { orderId: string };
      const until = Date.now() + 120_000;
      while (!delivered.has(orderId)) {
        if (Date.now() > until) throw new Error(`order ${orderId} not delivered within 120 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    for (let i = 0; i < orders; i += 5) await Promise.all(Array.from({ length: Math.min(5, orders - i) }, one));
    await quiet();
    const windowMs = Date.now() - started;
    const window = usageDelta(platform.usage.snapshot(), before);
    const scheduledInWindow = inv.schedules.filter((s) =>
      Object.keys(window).some((k) => k.startsWith('lambda.invocations.') && logicalIdOf(k.slice(19)) === s.functionLogicalId),
    );
    if (scheduledInWindow.length)
      console.warn(`scheduled checks ran during the orders: ${scheduledInWindow.map((s) => s.rule).join(', ')}`);
    // The pollers' empty receives depend on time, not orders: reported apart, priced as idle (AWS's ESM model).
    const { 'sqs.emptyReceives': emptyReceives = 0, ...byOrders } = window;
    const perOrder = scale(byOrders, 1 / orders);

    // Each scheduled check once, by hand, with the run's orders in the tables: its usage × its schedule a month.
    const perMonthScheduled: UsageCounts = {};
    const scheduledRows: Record<string, unknown>[] = [];
    for (const s of inv.schedules) {
      const fn = platform.model.functions.find((f) => f.logicalId === s.functionLogicalId);
      if (!fn) continue;
      const b = platform.usage.snapshot();
      await platform.invoke(fn.functionName, {
        version: '0',
        id: crypto.randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: platform.model.naming.accountId,
        time: new Date().toISOString(),
        region: platform.model.naming.region,
        resources: [],
        detail: {},
      });
      const once = usageDelta(platform.usage.snapshot(), b);
      delete once['sqs.emptyReceives'];
      const times = schedulePerMonth(s.expression);
      scheduledRows.push({ function: s.functionLogicalId, schedule: s.expression, perMonth: times, perInvocation: once });
      for (const [k, v] of Object.entries(once)) perMonthScheduled[k] = (perMonthScheduled[k] ?? 0) + v * times;
    }
    // Custom metrics: every series outside AWS/ the run wrote (EMF, PutMetricData, the metric filter), but the
    // simulators' own (service "simulators"): they stand for the restaurant and the courier.
    const customMetrics = platform.metrics
      .list()
      .filter((m) => !m.namespace.startsWith('AWS/') && !Object.values(m.dimensions ?? {}).some((v) => /simulator/i.test(v)));

    const usagePerOrder = billedUsage(perOrder, inv, logicalIdOf);
    const per100k = priceUsage(usagePerOrder, 100_000, prices);
    const idle = priceIdle(
      {
        alarmMetrics: inv.alarmMetrics,
        dashboards: inv.dashboards,
        customMetrics: customMetrics.length,
        kmsKeys: inv.kmsKeys,
        scheduled: billedUsage(perMonthScheduled, inv, logicalIdOf),
        sqsMappings: inv.sqsMappings,
        pollersPerMapping: ASSUMPTIONS.pollersPerSqsMapping,
        cognitoMauAboveFree: 0,
      },
      prices,
    );
    const appLogBytes = Object.entries(perOrder).reduce(
      (n, [k, v]) => (k.startsWith('logs.bytes.') && !ASSUMPTIONS.excludedFunctions.test(logicalIdOf(k.slice(11)) ?? '') ? n + v : n),
      0,
    );
    const containerPerOrder: ContainerOrderUsage = {
      natBytes: ASSUMPTIONS.container.natBytesPerOrder,
      albBytes: (perOrder['apigateway.requests'] ?? 0) * ASSUMPTIONS.container.albBytesPerRequest,
      logBytes: appLogBytes,
    };
    const containerIdle = priceContainerIdle(CONTAINER_DESIGN, prices);
    const containerPer100k = priceContainerOrders(containerPerOrder, 100_000, prices);

    console.log(`\n${orders} orders delivered in ${(windowMs / 1000).toFixed(1)} s; requests per order by service:`);
    console.table(Object.entries(perOrder).map(([counter, perOrderValue]) => ({ counter, 'per order': Number(perOrderValue.toFixed(3)) })));
    console.log(`pollers' empty receives in that window (not per order, idle): ${emptyReceives}`);
    console.log('\nserverless, $ per 100,000 orders (list prices, no free tier):');
    console.table(table(per100k));
    console.log('serverless, $ a month idle:');
    console.table(table(idle));
    console.log('seed 004 container design, $ a month idle:');
    console.table(table(containerIdle));
    console.log('seed 004 container design, $ per 100,000 orders on top:');
    console.table(table(containerPer100k));
    const summary = {
      serverlessPer100kOrdersUsd: money(totalUsd(per100k)),
      serverlessIdlePerMonthUsd: money(totalUsd(idle)),
      containerIdlePerMonthUsd: money(totalUsd(containerIdle)),
      containerPer100kOrdersUsd: money(totalUsd(containerPer100k)),
      // Orders a month at which the two cost the same: idle difference ÷ per-order difference.
      breakEvenOrdersPerMonth: Math.round(
        ((totalUsd(containerIdle) - totalUsd(idle)) / (totalUsd(per100k) - totalUsd(containerPer100k))) * 100_000,
      ),
    };
    console.table([summary]);

    const results = {
      profile: 'cost',
      measuredAt: startedAt,
      machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cores: os.cpus().length, commit: commit(root) },
      template: path.relative(root, outdir),
      prices: { file: 'bench/prices-us-east-1.json', region: prices.region, asOf: prices.asOf, retrieved: prices.retrieved },
      assumptions: { ...ASSUMPTIONS, excludedFunctions: String(ASSUMPTIONS.excludedFunctions), hoursPerMonth: HOURS_PER_MONTH },
      containerDesign: CONTAINER_DESIGN,
      awsTemplate: { ...inv, fns: undefined, functions: inv.fns.size },
      orders,
      windowMs,
      emptyReceivesInWindow: emptyReceives,
      countsPerOrder: perOrder,
      billedPerOrder: usagePerOrder,
      scheduled: scheduledRows,
      customMetrics: customMetrics.map((m) => `${m.namespace}/${m.name} ${JSON.stringify(m.dimensions)}`),
      per100kOrders: table(per100k),
      idlePerMonth: table(idle),
      container: { idlePerMonth: table(containerIdle), per100kOrders: table(containerPer100k) },
      summary,
    };
    writeFileSync(path.join(root, 'bench', 'results.cost.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log('written bench/results.cost.json');
    if (opts.record) {
      const recorded = path.join(root, 'bench', 'results', `cost${opts.label ? `.${opts.label}` : ''}.json`);
      mkdirSync(path.dirname(recorded), { recursive: true });
      writeFileSync(recorded, `${JSON.stringify(results, null, 2)}\n`);
      console.log(`recorded ${path.relative(root, recorded)} (commit it with the change it measures)`);
    }
    return results;
  } finally {
    await platform.stop();
  }
}
