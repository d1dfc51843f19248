/**
 * The offline operations page, served beside the API at /ops: the synthesized CloudWatch dashboard (its three
 * sections, as plots) computed from the metrics the handlers printed, the template's alarms as the offline
 * evaluator sees them, every dead-letter queue with its messages and a redrive button, and the delivery
 * reconciler's lost orders. Everything comes from the template: the dashboard body, the alarms, the queues and the
 * reconciler's own environment (deadline, table, index).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { queryLostOrders } from '../../functions/orders/awaiting-restaurant';
import { SCENARIOS } from '../../tools/game-day/scenarios';
import { runRedrive } from '../../tools/redrive';
import { evaluateExpression, type AlarmEvaluator } from '../runtime/alarms';
import type { MetricStore } from '../runtime/metrics';
import type { PlatformModel, QueueModel } from '../runtime/model';
import type { QueueMessage, RuntimeServices } from '../runtime/run-template';
import type { GameDay } from './platform';

/** How many metric periods each plot shows. */
const POINTS = 30;

export interface OpsDependencies {
  model: PlatformModel;
  metrics: MetricStore;
  alarms: AlarmEvaluator;
  sqs: SQSClient;
  doc: DynamoDBDocumentClient;
  /** Non-destructive look into a queue. */
  inspectQueue: RuntimeServices['inspectQueue'];
  timeScale: number;
  /** The game-day kit's offline target (tools/game-day/): inject, clear, the injection log. */
  gameDay: GameDay;
}

type MetricEntry = (string | Record<string, unknown>)[];
interface Series {
  label: string;
  points: { t: number; v: number | null }[];
}
export interface OpsWidget {
  title: string;
  series: Series[];
  annotations: { value: number; label?: string }[];
}
export interface OpsSection {
  title: string;
  description: string;
  widgets: OpsWidget[];
}

/** Plots of one CloudWatch "metric" widget: each visible metric or expression, over the last POINTS periods. */
function plotWidget(properties: Record<string, any>, metrics: MetricStore): OpsWidget {
  const entries: MetricEntry[] = properties.metrics ?? [];
  const byId = new Map<string, (number | undefined)[]>();
  const visible: { label: string; values: () => (number | undefined)[] }[] = [];
  const periodOf = (opts: Record<string, any>) => Number(opts.period ?? properties.period ?? 300);
  let starts: number[] = [];

  for (const entry of entries) {
    const opts = (typeof entry.at(-1) === 'object' ? entry.at(-1) : {}) as Record<string, any>;
    if (opts.expression) continue; // second pass: expressions need their inputs
    const [namespace, name, ...rest] = entry.filter((e): e is string => typeof e === 'string');
    const dimensions: Record<string, string> = {};
    for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i]] = rest[i + 1];
    const series = metrics.series(
      { namespace, name, dimensions },
      String(opts.stat ?? properties.stat ?? 'Average'),
      periodOf(opts),
      POINTS,
    );
    starts = series.map((p) => p.start);
    const values = series.map((p) => p.value);
    if (opts.id) byId.set(String(opts.id), values);
    if (opts.visible !== false) visible.push({ label: String(opts.label ?? name), values: () => values });
  }
  for (const entry of entries) {
    const opts = entry.at(-1) as Record<string, any>;
    if (!opts?.expression) continue;
    const values = Array.from({ length: POINTS }, (_, i) => evaluateExpression(String(opts.expression), (id) => byId.get(id)?.[i]));
    if (opts.id) byId.set(String(opts.id), values);
    if (opts.visible !== false) visible.push({ label: String(opts.label ?? opts.expression), values: () => values });
  }
  return {
    title: String(properties.title ?? ''),
    series: visible.map((v) => ({ label: v.label, points: v.values().map((value, i) => ({ t: starts[i] ?? i, v: value ?? null })) })),
    annotations: (properties.annotations?.horizontal ?? []).map((a: any) => ({ value: Number(a.value), label: a.label })),
  };
}

/** The dashboard's sections: a text widget whose markdown starts with '# ' opens one; widgets in layout order. */
export function dashboardSections(body: any, metrics: MetricStore): OpsSection[] {
  const widgets = [...(body?.widgets ?? [])].sort((a, b) => a.y - b.y || a.x - b.x);
  const sections: OpsSection[] = [];
  for (const w of widgets) {
    if (w.type === 'text') {
      const [first, ...rest] = String(w.properties?.markdown ?? '').split('\n');
      if (first.startsWith('# ')) sections.push({ title: first.slice(2).trim(), description: rest.join(' ').trim(), widgets: [] });
      continue;
    }
    if (w.type === 'metric' && sections.length) sections.at(-1)!.widgets.push(plotWidget(w.properties ?? {}, metrics));
  }
  return sections;
}

function deadLetterQueues(model: PlatformModel): { dlq: QueueModel; source?: QueueModel }[] {
  const targets = new Set([
    ...model.queues.flatMap((q) => (q.deadLetter ? [q.deadLetter.targetArn] : [])),
    ...model.eventSourceMappings.flatMap((m) => (m.onFailureDestinationArn ? [m.onFailureDestinationArn] : [])),
  ]);
  return model.queues
    .filter((q) => targets.has(q.arn))
    .map((dlq) => ({ dlq, source: model.queues.find((q) => q.deadLetter?.targetArn === dlq.arn) }));
}

function describeMessage(m: QueueMessage) {
  let detailType: string | undefined;
  let correlationId: string | undefined;
  let orderId: string | undefined;
  try {
    const event = JSON.parse(m.body);
    detailType = event['detail-type'];
    correlationId = event.detail?.metadata?.correlationId;
    orderId = event.detail?.data?.orderId;
  } catch {
    // not an EventBridge event (the outbox relay's DLQ holds stream coordinates)
  }
  return {
    messageId: m.messageId,
    detailType,
    correlationId,
    orderId,
    receiveCount: m.approximateReceiveCount,
    sentAt: new Date(m.sentTimestamp).toISOString(),
    body: m.body.slice(0, 2000),
  };
}

/**
 * The reconciler's view, with the reconciler's own query (functions/orders/awaiting-restaurant.ts) and its own
 * environment from the template: charged orders past the deadline.
 */
async function lostOrders(deps: OpsDependencies) {
  const reconciler = deps.model.functions.find((f) => f.environment.DELIVERY_SLI_SECONDS && f.environment.AWAITING_RESTAURANT_INDEX);
  if (!reconciler) return { deadlineSeconds: undefined, orders: [] };
  const deadlineSeconds = Number(reconciler.environment.DELIVERY_SLI_SECONDS);
  const now = Date.now();
  const lost = await queryLostOrders(
    { doc: deps.doc, tableName: reconciler.environment.ORDERS_TABLE_NAME, indexName: reconciler.environment.AWAITING_RESTAURANT_INDEX },
    new Date(now),
    deadlineSeconds,
    200,
  );
  const orders = lost.map((o) => ({
    orderId: o.orderId,
    merchantId: o.merchantId,
    customerId: o.customerId,
    correlationId: o.correlationId,
    chargedAt: o.chargedAt,
    ageSeconds: Math.floor((now - Date.parse(o.chargedAt)) / 1000),
    total: o.total,
    reportedAt: o.overdueReportedAt,
  }));
  return { deadlineSeconds, orders };
}

export async function opsState(deps: OpsDependencies) {
  const [dashboard] = deps.model.dashboards;
  return {
    now: new Date().toISOString(),
    metricMinuteMs: 60_000 * deps.timeScale,
    dashboard: dashboard?.name,
    sections: dashboard ? dashboardSections(dashboard.body, deps.metrics) : [],
    alarms: deps.alarms.states().map((a) => ({ ...a, runbook: /Runbook: (\S+\.md)/.exec(a.description ?? '')?.[1] })),
    alarmHistory: deps.alarms.history().slice(-50),
    deadLetterQueues: deadLetterQueues(deps.model).map(({ dlq, source }) => {
      const inspected = deps.inspectQueue(dlq.queueName);
      const messages = [...(inspected?.ready ?? []), ...(inspected?.inflight.map((i) => i.message) ?? [])];
      return {
        name: dlq.queueName,
        logicalId: dlq.logicalId,
        redriveTo: source?.queueName,
        count: messages.length,
        messages: messages.slice(0, 20).map(describeMessage),
      };
    }),
    lost: await lostOrders(deps),
    faults: {
      active: deps.gameDay.open().map((i) => i.scenario),
      known: Object.fromEntries(SCENARIOS.map((s) => [s.name, `${s.title} (seed ${s.seed})`])),
    },
  };
}

const PAGE = path.join(import.meta.dirname, 'ops-page.html');

/** Handles /ops, /ops/api/state, POST /ops/api/dlq/<name>/redrive and the game-day routes; false for every other path (the API's). */
export function opsHandler(deps: OpsDependencies) {
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean> => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== '/ops' && !pathname.startsWith('/ops/')) return false;
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && (pathname === '/ops' || pathname === '/ops/')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(readFileSync(PAGE));
      return true;
    }
    if (req.method === 'GET' && pathname === '/ops/api/state') {
      json(200, await opsState(deps));
      return true;
    }
    const redriveMatch = /^\/ops\/api\/dlq\/([\w.-]+)\/redrive$/.exec(pathname);
    if (req.method === 'POST' && redriveMatch) {
      const pair = deadLetterQueues(deps.model).find((p) => p.dlq.queueName === redriveMatch[1]);
      if (!pair) json(404, { message: `no dead-letter queue named ${redriveMatch[1]}` });
      else if (!pair.source)
        json(409, {
          message: `${pair.dlq.queueName} holds stream coordinates, not events: replay from the Outbox table (npm run replay; docs/runbooks/outbox-relay.md)`,
        });
      else {
        // The CLI's copy path, audited like it (.offline/audit/mitigations.jsonl): the button is a redrive too.
        const outcome = await runRedrive(
          { name: 'offline', sqs: deps.sqs, hasMoveTask: false, audit: {}, actor: 'ops page' },
          { dlqUrl: pair.dlq.url, sourceUrl: pair.source.url, method: 'copy', send: true },
          () => undefined,
        );
        json(outcome.exitCode ? 500 : 200, {
          ...(outcome.exitCode ? { message: `${outcome.failed.length} message(s) not moved: ${outcome.failed[0]?.error}` } : {}),
          moved: outcome.moved.length,
          failed: outcome.failed,
          audit: outcome.audit?.id,
          from: pair.dlq.queueName,
          to: pair.source.queueName,
        });
      }
      return true;
    }
    const readJson = (): Record<string, unknown> | undefined => {
      try {
        const v = JSON.parse(body.toString('utf8') || '{}');
        return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
      } catch {
        return undefined;
      }
    };
    const known = SCENARIOS.map((s) => s.name);
    if (req.method === 'POST' && pathname === '/ops/api/faults') {
      // Body: {"faults": ["restaurant-drops-orders"]}: the scenarios to have on (others are cleared); [] clears.
      const faults = readJson()?.faults;
      if (!Array.isArray(faults) || faults.some((f) => typeof f !== 'string' || !known.includes(f))) {
        json(400, { message: `faults must be an array of ${known.join(', ')}` });
      } else {
        const on = new Set(deps.gameDay.open().map((i) => i.scenario));
        for (const name of on) if (!faults.includes(name)) await deps.gameDay.clear(name, 'ops-page');
        for (const name of faults as string[]) if (!on.has(name)) await deps.gameDay.inject(name, 'ops-page');
        json(200, { active: deps.gameDay.open().map((i) => i.scenario) });
      }
      return true;
    }
    // The game-day CLI's offline target (tools/game-day/): status, inject and clear, with the injection log.
    if (req.method === 'GET' && pathname === '/ops/api/game-day') {
      json(200, {
        scenarios: known,
        open: deps.gameDay.open(),
        log: deps.gameDay.log.read(),
        alarms: deps.alarms.states(),
        alarmHistory: deps.alarms.history(),
        timeScale: deps.timeScale,
        tables: Object.fromEntries(deps.model.tables.map((t) => [t.logicalId, t.tableName])),
        queues: deadLetterQueues(deps.model).map(({ dlq, source }) => ({
          dlq: dlq.queueName,
          source: source?.queueName,
          sourceLogicalId: source?.logicalId,
          count: (deps.inspectQueue(dlq.queueName)?.ready.length ?? 0) + (deps.inspectQueue(dlq.queueName)?.inflight.length ?? 0),
          sourceCount: source
            ? (deps.inspectQueue(source.queueName)?.ready.length ?? 0) +
              (deps.inspectQueue(source.queueName)?.inflight.length ?? 0) +
              (deps.inspectQueue(source.queueName)?.delayed.length ?? 0)
            : 0,
        })),
      });
      return true;
    }
    const gameDayMatch = /^\/ops\/api\/game-day\/(inject|clear)$/.exec(pathname);
    if (req.method === 'POST' && gameDayMatch) {
      const input = readJson();
      const scenario = input?.scenario;
      const by = typeof input?.by === 'string' ? input.by.slice(0, 100) : 'ops-api';
      if (
        gameDayMatch[1] === 'inject'
          ? typeof scenario !== 'string' || !known.includes(scenario)
          : scenario !== undefined && !known.includes(String(scenario))
      ) {
        json(400, { message: `scenario must be one of ${known.join(', ')}` });
        return true;
      }
      try {
        if (gameDayMatch[1] === 'inject') json(200, { injected: await deps.gameDay.inject(String(scenario), by) });
        else json(200, { cleared: await deps.gameDay.clear(scenario === undefined ? undefined : String(scenario), by) });
      } catch (err) {
        json(409, { message: (err as Error).message });
      }
      return true;
    }
    json(404, { message: `no ops route ${req.method} ${pathname}` });
    return true;
  };
}
