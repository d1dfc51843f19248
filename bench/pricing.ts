/**
 * The cost model's arithmetic (issue 12), kept apart from the measuring so it is tested (test/bench-pricing.test.ts):
 * usage × the list prices of bench/prices-us-east-1.json → line items, for the serverless platform per order and
 * idle per month, and for seed 004's always-on container design. No prices in code: every number comes from the
 * price list by key, and an unknown key throws rather than pricing at zero.
 */

export interface Price {
  usd: number;
  per: string;
  source: string;
}
export interface PriceList {
  region: string;
  currency: string;
  asOf: string;
  retrieved: string;
  note: string;
  prices: Record<string, Price>;
}

export const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const GB = 1024 ** 3;

export function price(list: PriceList, key: string): number {
  const p = list.prices[key];
  if (!p || typeof p.usd !== 'number') throw new Error(`price '${key}' is not in the price list (${list.region}, ${list.asOf})`);
  return p.usd;
}

export interface LineItem {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  priceKey: string;
  usd: number;
}

const line = (list: PriceList, service: string, item: string, quantity: number, unit: string, priceKey: string): LineItem => ({
  service,
  item,
  quantity,
  unit,
  priceKey,
  usd: quantity * price(list, priceKey),
});

export const totalUsd = (items: readonly LineItem[]): number => items.reduce((n, i) => n + i.usd, 0);

/** What the serverless platform uses, billed quantities (per order, or per month for the idle part). */
export interface ServerlessUsage {
  lambdaInvocations: number;
  lambdaGbSeconds: { arm64: number; x86_64: number };
  dynamodbReadUnits: number;
  dynamodbWriteUnits: number;
  /** GetRecords by something other than a Lambda trigger (those are free). */
  dynamodbStreamReads: number;
  sqsRequests: number;
  sqsFifoRequests: number;
  eventbridgeEvents: number;
  apiRequests: number;
  logBytes: number;
  putMetricDataRequests: number;
  xrayTraces: number;
}

export const NO_USAGE: ServerlessUsage = {
  lambdaInvocations: 0,
  lambdaGbSeconds: { arm64: 0, x86_64: 0 },
  dynamodbReadUnits: 0,
  dynamodbWriteUnits: 0,
  dynamodbStreamReads: 0,
  sqsRequests: 0,
  sqsFifoRequests: 0,
  eventbridgeEvents: 0,
  apiRequests: 0,
  logBytes: 0,
  putMetricDataRequests: 0,
  xrayTraces: 0,
};

/** `usage` × `times` (per order → per 100,000 orders), priced; rows with no quantity are left out. */
export function priceUsage(usage: ServerlessUsage, times: number, list: PriceList): LineItem[] {
  const u = (n: number) => n * times;
  return [
    line(list, 'Lambda', 'requests', u(usage.lambdaInvocations), 'requests', 'lambda.request'),
    line(list, 'Lambda', 'duration arm64', u(usage.lambdaGbSeconds.arm64), 'GB-s', 'lambda.gbSecond.arm64'),
    line(list, 'Lambda', 'duration x86_64', u(usage.lambdaGbSeconds.x86_64), 'GB-s', 'lambda.gbSecond.x86_64'),
    line(list, 'DynamoDB', 'write request units', u(usage.dynamodbWriteUnits), 'WRU', 'dynamodb.writeRequestUnit'),
    line(list, 'DynamoDB', 'read request units', u(usage.dynamodbReadUnits), 'RRU', 'dynamodb.readRequestUnit'),
    line(list, 'DynamoDB', 'stream reads (not by Lambda)', u(usage.dynamodbStreamReads), 'requests', 'dynamodb.streamReadRequest'),
    line(list, 'SQS', 'standard requests', u(usage.sqsRequests), 'requests', 'sqs.standardRequest'),
    line(list, 'SQS', 'FIFO requests', u(usage.sqsFifoRequests), 'requests', 'sqs.fifoRequest'),
    line(list, 'EventBridge', 'custom events', u(usage.eventbridgeEvents), 'events', 'eventbridge.customEvent'),
    line(list, 'API Gateway', 'REST requests', u(usage.apiRequests), 'requests', 'apigateway.restRequest'),
    line(list, 'CloudWatch', 'logs ingested', u(usage.logBytes) / GB, 'GB', 'cloudwatch.logsIngestedGb'),
    line(list, 'CloudWatch', 'PutMetricData', u(usage.putMetricDataRequests), 'requests', 'cloudwatch.apiRequest'),
    line(list, 'X-Ray', 'traces recorded', u(usage.xrayTraces), 'traces', 'xray.traceRecorded'),
  ].filter((l) => l.quantity > 0);
}

/** A CloudFormation resource as the template has it. */
type Resource = { Type: string; Properties?: any };

/**
 * Alarm metrics as CloudWatch bills them: a single-metric alarm is one alarm metric; a metric-math alarm is one per
 * metric its expressions read (MetricStat entries); high resolution when a period is under 60 s; composite alarms
 * apart. An anomaly-detection band would be 3 metrics: none in this template, and counted as its metrics here.
 */
export function alarmMetricCounts(resources: Record<string, Resource>): { standard: number; highResolution: number; composite: number } {
  const out = { standard: 0, highResolution: 0, composite: 0 };
  for (const r of Object.values(resources)) {
    if (r.Type === 'AWS::CloudWatch::CompositeAlarm') out.composite++;
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = r.Properties ?? {};
    const stats: { Period?: number }[] = p.Metrics ? p.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat) : [p];
    const highResolution = stats.some((s) => Number(s.Period) < 60);
    out[highResolution ? 'highResolution' : 'standard'] += Math.max(1, stats.length);
  }
  return out;
}

/** Invocations a month of a schedule expression: rate() exactly; cron() is refused (none in this template). */
export function schedulePerMonth(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) throw new Error(`schedule '${expression}' is not a rate(): count its invocations by hand`);
  const seconds = { minute: 60, hour: 3600, day: 86_400 }[m[2].replace(/s$/, '') as 'minute'];
  return SECONDS_PER_MONTH / (Number(m[1]) * seconds);
}

/**
 * Empty receives a month by Lambda's SQS event source mappings while nothing arrives: each mapping long-polls
 * (20 s) with `pollers` pollers (AWS starts at 5 per mapping). Those requests are billed to the account as SQS
 * requests (AWS prices them like any other ReceiveMessage).
 */
export function idleEsmReceivesPerMonth(mappings: number, pollers = 5, waitSeconds = 20): number {
  return (mappings * pollers * SECONDS_PER_MONTH) / waitSeconds;
}

export interface IdleInventory {
  alarmMetrics: { standard: number; highResolution: number; composite: number };
  dashboards: number;
  customMetrics: number;
  kmsKeys: number;
  /** The scheduled functions' usage in a month (their invocations, with what each one does). */
  scheduled: ServerlessUsage;
  /** SQS event source mappings (standard queues) polling idle. */
  sqsMappings: number;
  pollersPerMapping: number;
  /** Monthly active users above the free tier (0: the platform has no user pool). */
  cognitoMauAboveFree: number;
}

export function priceIdle(inv: IdleInventory, list: PriceList): LineItem[] {
  const idleReceives = idleEsmReceivesPerMonth(inv.sqsMappings, inv.pollersPerMapping);
  return [
    line(list, 'CloudWatch', 'standard alarm metrics', inv.alarmMetrics.standard, 'alarm metrics', 'cloudwatch.standardAlarmMetricMonth'),
    line(
      list,
      'CloudWatch',
      'high-resolution alarm metrics',
      inv.alarmMetrics.highResolution,
      'alarm metrics',
      'cloudwatch.highResolutionAlarmMetricMonth',
    ),
    line(list, 'CloudWatch', 'composite alarms', inv.alarmMetrics.composite, 'alarms', 'cloudwatch.compositeAlarmMonth'),
    line(list, 'CloudWatch', 'dashboards', inv.dashboards, 'dashboards', 'cloudwatch.dashboardMonth'),
    line(list, 'CloudWatch', 'custom metrics', inv.customMetrics, 'metrics', 'cloudwatch.customMetricMonth'),
    line(list, 'KMS', 'customer managed keys', inv.kmsKeys, 'keys', 'kms.keyMonth'),
    line(list, 'SQS', 'idle long polls of the event source mappings', idleReceives, 'requests', 'sqs.standardRequest'),
    line(list, 'Cognito', 'MAU above the free tier', inv.cognitoMauAboveFree, 'MAU', 'cognito.mau'),
    ...priceUsage(inv.scheduled, 1, list).map((l) => ({ ...l, item: `scheduled checks: ${l.item}` })),
  ].filter((l) => l.quantity > 0);
}

/** Seed 004's design, sized small as the seed asks ("keep costs low"). */
export interface ContainerDesign {
  eksClusters: number;
  nodes: { priceKey: string; count: number; ebsGb: number };
  rds: { priceKey: string; storageGb: number; storagePriceKey: string };
  cache: { priceKey: string; count: number };
  natGateways: number;
  albs: number;
  /** Public IPv4 addresses: one per ALB node (one per AZ) and one per NAT gateway. */
  publicIpv4: number;
  ecrGb: number;
  /** The alarms the seed asks for (at least 2), standard resolution. */
  alarms: number;
  dashboards: number;
}

export function priceContainerIdle(d: ContainerDesign, list: PriceList): LineItem[] {
  const h = HOURS_PER_MONTH;
  return [
    line(list, 'EKS', 'control plane', d.eksClusters * h, 'cluster-hours', 'eks.clusterHour'),
    line(
      list,
      'EC2',
      `nodes (${d.nodes.count}× ${d.nodes.priceKey.replace(/^ec2\.|\.hour$/g, '')})`,
      d.nodes.count * h,
      'instance-hours',
      d.nodes.priceKey,
    ),
    line(list, 'EBS', 'node volumes (gp3)', d.nodes.count * d.nodes.ebsGb, 'GB-months', 'ebs.gp3GbMonth'),
    line(list, 'RDS', d.rds.priceKey.replace(/^rds\.|\.hour$/g, ''), h, 'instance-hours', d.rds.priceKey),
    line(list, 'RDS', 'storage', d.rds.storageGb, 'GB-months', d.rds.storagePriceKey),
    line(list, 'ElastiCache', d.cache.priceKey.replace(/^elasticache\.|\.hour$/g, ''), d.cache.count * h, 'node-hours', d.cache.priceKey),
    line(list, 'VPC', 'NAT gateway', d.natGateways * h, 'gateway-hours', 'vpc.natGatewayHour'),
    line(list, 'VPC', 'public IPv4 addresses', d.publicIpv4 * h, 'address-hours', 'vpc.publicIpv4Hour'),
    line(list, 'ELB', 'Application Load Balancer', d.albs * h, 'ALB-hours', 'elb.albHour'),
    // An idle ALB is still billed its largest dimension each hour; at no traffic that is well under one LCU.
    line(list, 'ECR', 'images', d.ecrGb, 'GB-months', 'ecr.storageGbMonth'),
    line(list, 'CloudWatch', 'alarms', d.alarms, 'alarm metrics', 'cloudwatch.standardAlarmMetricMonth'),
    line(list, 'CloudWatch', 'dashboards', d.dashboards, 'dashboards', 'cloudwatch.dashboardMonth'),
  ].filter((l) => l.quantity > 0);
}

/** What orders add on top of the always-on design: bytes through the NAT and the ALB, and the same log bytes. */
export interface ContainerOrderUsage {
  natBytes: number;
  albBytes: number;
  logBytes: number;
}

export function priceContainerOrders(u: ContainerOrderUsage, times: number, list: PriceList): LineItem[] {
  return [
    line(list, 'VPC', 'NAT data processed', (u.natBytes * times) / GB, 'GB', 'vpc.natGatewayGb'),
    // LCU: 1 GB processed an hour is one LCU-hour (the other dimensions stay far below one at this rate).
    line(list, 'ELB', 'ALB LCU (processed bytes)', (u.albBytes * times) / GB, 'LCU-hours', 'elb.albLcuHour'),
    line(list, 'CloudWatch', 'logs ingested', (u.logBytes * times) / GB, 'GB', 'cloudwatch.logsIngestedGb'),
  ].filter((l) => l.quantity > 0);
}
