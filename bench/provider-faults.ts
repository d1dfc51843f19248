/**
 * `npm run bench -- --profile provider-faults [--label before|after] [--orders 30] [--failure-rate 0.3]
 * [--max-seconds 600] [--template cdk.out]`: what a flaky payment provider costs the customer.
 * On a fresh offline platform at real time (timeScale 1, demo speed), with the payment simulator's `failureRate`
 * raised (half of the failures after the charge, a lost response), it places N mixed orders at once — delivered,
 * declined, cancelled by the restaurant (refunded), and more of the scarce product than its stock — and one poison
 * message (an `order.created` that breaks its contract), then reports:
 * - placed → terminal latency (p50, p95, p99, max) and how many orders were still unfinished at the bound;
 * - the poison message's time until it is in the inventory consumer's DLQ;
 * - money and stock conserved: charges kept equal the delivered value, one provider charge per order, the charge
 *   the payment row names is the one the provider recorded, available + reserved equals the seeded stock, reserved
 *   equals what the delivered orders hold.
 * Writes bench/results.provider-faults.<label>.json (the bench/results.json shape: measuredAt, node, endToEnd), with
 * the load average at start and end (the figures depend on it: the machine's other work slows every hop).
 * A "before" figure runs another commit's template: synthesize it there (`npm run synth`), copy its cdk.out here
 * as cdk.out.before, and pass `--template cdk.out.before` (the platform code is this commit's, the functions theirs).
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile as interpolatedPercentile } from './stats';

export interface ProviderFaultsOptions {
  root: string;
  templatePath: string;
  label: string;
  orders: number;
  failureRate: number;
  maxSeconds: number;
}

const TERMINAL = ['DELIVERED', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];
/** The mix, one kind per order in turn: what each one should end as (REJECTED only past the scarce stock). */
const KINDS = [
  { customerId: 'c-alice', merchantId: 'm-pizza', productId: 'p-margherita', expect: ['DELIVERED'] },
  { customerId: 'c-bob', merchantId: 'm-sushi', productId: 'p-salmon-nigiri', expect: ['DELIVERED'] },
  { customerId: 'c-alice', merchantId: 'm-burger', productId: 'p-classic-burger', expect: ['DELIVERED'] },
  { customerId: 'c-declined', merchantId: 'm-pizza', productId: 'p-diavola', expect: ['PAYMENT_FAILED'] },
  { customerId: 'c-bob', merchantId: 'm-closed', productId: 'p-fusion-bowl', expect: ['CANCELLED'] },
  { customerId: 'c-alice', merchantId: 'm-pizza', productId: 'p-truffle-pizza', expect: ['DELIVERED', 'REJECTED'] },
];

/** Interpolated percentile (bench/stats.ts), rounded to the millisecond. */
function percentile(sorted: number[], p: number): number | null {
  const value = interpolatedPercentile(sorted, p);
  return value === null ? null : Math.round(value);
}

const load = () => os.loadavg().map((l) => Number(l.toFixed(2)));

export async function measureProviderFaults(opts: ProviderFaultsOptions): Promise<Record<string, unknown>> {
  const { startPlatform } = await import('../offline/shopwave/platform');
  const { seedDemoData } = await import('../tools/seed-data');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient, GetCommand, ScanCommand } = await import('@aws-sdk/lib-dynamodb');

  // The template's own simulator settings (demo speed), with only the failure rate raised.
  const template = JSON.parse(readFileSync(opts.templatePath, 'utf8'));
  const paymentsEnv = Object.entries<any>(template.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('PaymentsConsumer'),
  )?.[1].Properties.Environment.Variables;
  const simulator = { ...JSON.parse(paymentsEnv.PAYMENT_SIMULATOR_CONFIG), failureRate: opts.failureRate };
  const loadAtStart = load();
  const platform = await startPlatform({
    templatePath: opts.templatePath,
    port: 0,
    logs: 'silent',
    resourcePrefix: `b${randomUUID().slice(0, 6)}-`,
    extraFunctionEnv: { PAYMENT_SIMULATOR_CONFIG: JSON.stringify(simulator) },
  });
  try {
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: platform.endpoints.dynamodb,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
    const tableName = (k: 'catalog' | 'customers' | 'inventory') =>
      platform.tableName({ catalog: 'DataCatalog', customers: 'DataCustomers', inventory: 'DataInventory' }[k]);
    await seedDemoData({ doc, tableName });
    const scan = async (table: string) => {
      const items: Record<string, any>[] = [];
      let ExclusiveStartKey: Record<string, any> | undefined;
      for (let page = 0; page < 100; page++) {
        const res = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey, ConsistentRead: true }));
        items.push(...(res.Items ?? []));
        if (!(ExclusiveStartKey = res.LastEvaluatedKey)) break;
      }
      return items;
    };
    const seededStock = new Map(
      (await scan(tableName('inventory'))).filter((i) => i.sk === 'STOCK').map((i) => [i.productId as string, i.available as number]),
    );
    const tokens = new Map<string, string>();
    for (const k of KINDS) if (!tokens.has(k.customerId)) tokens.set(k.customerId, await platform.issuer.sign(k.customerId));
    const auth = (customerId: string) => ({ authorization: `Bearer ${tokens.get(customerId)}` });

    // The poison message goes in first: its clock and the orders' run side by side.
    const poisonId = randomUUID();
    const poisonDetail = {
      metadata: {
        eventId: poisonId,
        correlationId: 'bench-poison',
        causationId: 'bench-poison',
        occurredAt: new Date().toISOString(),
        schemaVersion: 1,
      },
      data: { orderId: 'bench-poison', customerId: 'c-alice' },
    };
    const poisonSentAt = Date.now();
    await platform.putEvents([
      {
        Source: 'shopwave.orders',
        DetailType: 'order.created',
        Detail: JSON.stringify(poisonDetail),
        EventBusName: platform.model.buses[0].name,
      },
    ]);

    const startedAt = Date.now();
    const placed = await Promise.all(
      Array.from({ length: opts.orders }, async (_, i) => {
        const kind = KINDS[i % KINDS.length];
        const at = Date.now();
        const res = await fetch(`${platform.apiUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth(kind.customerId) },
          body: JSON.stringify({ merchantId: kind.merchantId, items: [{ productId: kind.productId, quantity: 1 }] }),
        });
        if (res.status !== 202) throw new Error(`POST /orders answered ${res.status}: ${await res.text()}`);
        const { orderId } = (await res.json()) as { orderId: string };
        return { orderId, kind, placedAt: at, status: 'PLACED', terminalAt: undefined as number | undefined };
      }),
    );

    const sqs = platform.sqsClient();
    const dlqUrl = platform.queueUrl('InventoryConsumerDeadLetterQueue');
    let poisonParkedAt: number | undefined;
    const deadline = startedAt + opts.maxSeconds * 1000;
    let lastReport = Date.now();
    const byId = new Map(placed.map((o) => [o.orderId, o]));
    while (Date.now() < deadline) {
      // Read from the orders table, not the API: polling 30 orders through the API would be throttled (50 rps) and
      // load the orders function. The terminal time is the order's own milestone, whatever the polling interval.
      for (const row of await scan(platform.tableName('DataOrders'))) {
        const o = byId.get(row.orderId as string);
        if (!o || o.terminalAt !== undefined || row.sk !== 'ORDER') continue;
        o.status = row.status as string;
        if (TERMINAL.includes(o.status)) o.terminalAt = Date.parse(row.milestones[o.status]);
      }
      if (poisonParkedAt === undefined) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        if (Messages.some((m) => JSON.parse(m.Body!).detail?.metadata?.eventId === poisonId)) poisonParkedAt = Date.now();
      }
      if (placed.every((o) => o.terminalAt !== undefined) && poisonParkedAt !== undefined) break;
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        const open = placed.filter((o) => o.terminalAt === undefined);
        console.log(
          `${Math.round((Date.now() - startedAt) / 1000)} s: ${placed.length - open.length}/${placed.length} terminal; poison ${poisonParkedAt ? 'parked' : 'not parked'}; load ${load().join(' ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const elapsedMs = Date.now() - startedAt;

    // Money and stock, read from the tables (after the bound, whatever state the orders are in).
    const payments = (await scan(platform.tableName('DataPayments'))).filter((p) => p.sk === 'PAYMENT');
    const ledger = new Map((await scan(platform.tableName('DataProviderLedger'))).map((l) => [l.pk as string, l.result]));
    const stock = (await scan(tableName('inventory'))).filter((i) => i.sk === 'STOCK');
    const delivered = placed.filter((o) => o.status === 'DELIVERED');
    const orderRows = await Promise.all(
      delivered.map(
        async (o) =>
          (await doc.send(new GetCommand({ TableName: platform.tableName('DataOrders'), Key: { pk: `ORDER#${o.orderId}`, sk: 'ORDER' } })))
            .Item!,
      ),
    );
    const deliveredValue = orderRows.reduce((s, r) => s + (r.total.amount as number), 0);
    // Charges kept by the orders that finished (an unfinished order may hold a charge its saga has not settled yet).
    const finished = new Set(placed.filter((o) => o.terminalAt !== undefined).map((o) => o.orderId));
    const kept = payments.filter((p) => p.status === 'CHARGED');
    const keptCharges = kept.filter((p) => finished.has(p.orderId)).reduce((s, p) => s + (p.amount.amount as number), 0);
    const keptChargesOfUnfinished = kept.filter((p) => !finished.has(p.orderId)).reduce((s, p) => s + (p.amount.amount as number), 0);
    const chargeMismatches = payments.filter(
      (p) => ['CHARGED', 'REFUNDED'].includes(p.status) && ledger.get(`charge-${p.orderId}`)?.chargeId !== p.providerChargeId,
    );
    const reservedByDelivered = new Map<string, number>();
    for (const o of delivered) reservedByDelivered.set(o.kind.productId, (reservedByDelivered.get(o.kind.productId) ?? 0) + 1);
    const allTerminal = placed.every((o) => o.terminalAt !== undefined);
    const stockConserved = stock.every((s) => s.available + s.reserved === seededStock.get(s.productId));
    const reservedMatchesDelivered = !allTerminal || stock.every((s) => s.reserved === (reservedByDelivered.get(s.productId) ?? 0));
    const unexpected = placed.filter((o) => o.terminalAt !== undefined && !o.kind.expect.includes(o.status));

    const dlqDepths: Record<string, number> = {};
    for (const q of platform.model.queues.filter((q) => q.logicalId.includes('DeadLetterQueue'))) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
      );
      if (Messages.length) dlqDepths[q.logicalId.replace(/DeadLetterQueue.*/, '')] = Messages.length;
    }

    const latencies = placed
      .filter((o) => o.terminalAt !== undefined)
      .map((o) => o.terminalAt! - o.placedAt)
      .sort((a, b) => a - b);
    const byStatus: Record<string, number> = {};
    for (const o of placed) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    const endToEnd = {
      orders: placed.length,
      terminal: latencies.length,
      unfinished: placed.length - latencies.length,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: allTerminal ? percentile(latencies, 99) : null,
      maxMs: allTerminal ? latencies.at(-1)! : null,
      boundMs: opts.maxSeconds * 1000,
      elapsedMs,
      byStatus,
    };
    const results = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      profile: 'provider-faults',
      label: opts.label,
      template: path.relative(opts.root, opts.templatePath),
      commit: gitHead(opts.root),
      loadAverage: { atStart: loadAtStart, atEnd: load(), cores: os.cpus().length },
      paymentSimulator: simulator,
      endToEnd,
      latenciesMs: latencies,
      perOrder: placed.map((o) => ({
        kind: `${o.kind.customerId}@${o.kind.merchantId}/${o.kind.productId}`,
        status: o.status,
        ms: o.terminalAt === undefined ? null : o.terminalAt - o.placedAt,
      })),
      poison: {
        timeToDlqMs: poisonParkedAt === undefined ? null : poisonParkedAt - poisonSentAt,
        parkedWithinBound: poisonParkedAt !== undefined,
      },
      conservation: {
        deliveredValue,
        keptCharges,
        keptChargesOfUnfinished,
        chargesEqualDeliveredValue: keptCharges === deliveredValue,
        // The ledger is keyed by the provider idempotency key: one CHARGED entry per charged order, and the payment row names it.
        providerCharges: [...ledger.entries()].filter(([k, r]) => k.startsWith('charge-') && r?.outcome === 'CHARGED').length,
        chargedOrders: payments.filter((p) => ['CHARGED', 'REFUNDED'].includes(p.status)).length,
        chargeMismatches: chargeMismatches.map((p) => p.orderId),
        stockConserved,
        reservedMatchesDelivered,
        unexpectedOutcomes: unexpected.map((o) => ({ orderId: o.orderId, status: o.status, expected: o.kind.expect })),
      },
      dlqDepths,
    };
    const file = path.join(opts.root, 'bench', `results.provider-faults.${opts.label}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.table([{ ...endToEnd, byStatus: JSON.stringify(byStatus), poisonToDlqMs: results.poison.timeToDlqMs }]);
    console.log(JSON.stringify(results.conservation));
    console.log(`written ${path.relative(opts.root, file)}`);
    return results;
  } finally {
    await platform.stop();
  }
}

function gitHead(root: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
