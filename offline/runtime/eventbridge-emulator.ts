/**
 * EventBridge, offline: a PutEvents endpoint (AWS JSON 1.1, so the real SDK client talks to it) that builds each
 * event as EventBridge delivers it and routes it with the template's rules and patterns to SQS queues and Lambda
 * functions. A rule whose pattern is wrong routes wrongly here exactly as on AWS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchesEventPattern } from './event-pattern';
import type { PlatformModel } from './model';

export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string | number | Date;
}
export type EventListener = (event: BusEvent, matchedRules: string[]) => void;

export interface Delivery {
  toQueue(queueArn: string, body: string): Promise<void>;
  toFunction(functionArn: string, event: unknown): void;
}

const MAX_ENTRY_BYTES = 256 * 1024;

export class EventBridgeEmulator {
  private server?: Server;
  private readonly listeners: EventListener[] = [];
  endpoint = '';
  /** Told of every PutEvents request's entries (the cost meter: offline/runtime/usage.ts). */
  onPutEvents?: (entries: PutEventsEntry[]) => void;

  constructor(
    private readonly model: PlatformModel,
    private readonly delivery: Delivery,
  ) {}

  onEvent(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** A rule of the template by name: its state and pattern as routing sees them now. */
  describeRule(name: string): { name: string; state: 'ENABLED' | 'DISABLED'; eventPattern?: string } {
    const rule = this.rule(name);
    return {
      name: rule.name,
      state: rule.state,
      eventPattern: rule.eventPattern === undefined ? undefined : JSON.stringify(rule.eventPattern),
    };
  }

  /**
   * Changes a rule at runtime, as DisableRule / EnableRule / PutRule do on AWS: the next PutEvents routes with it.
   * Only state and pattern; targets stay the template's. A pattern is validated as JSON (an object).
   */
  updateRule(name: string, change: { state?: 'ENABLED' | 'DISABLED'; eventPattern?: string }): void {
    const rule = this.rule(name);
    if (change.eventPattern !== undefined) {
      const pattern = JSON.parse(change.eventPattern);
      if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) throw new Error('EventPattern must be a JSON object');
      rule.eventPattern = pattern;
    }
    if (change.state) rule.state = change.state;
  }

  private rule(name: string) {
    const rule = this.model.rules.find((r) => r.name === name || r.logicalId === name);
    if (!rule) throw Object.assign(new Error(`Rule ${name} does not exist.`), { code: 'ResourceNotFoundException' });
    return rule;
  }

  private busName(nameOrArn: string | undefined): string {
    if (!nameOrArn) return 'default';
    return nameOrArn.startsWith('arn:') ? nameOrArn.split('/').at(-1)! : nameOrArn;
  }

  async putEvents(
    entries: PutEventsEntry[],
  ): Promise<{ FailedEntryCount: number; Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] }> {
    this.onPutEvents?.(entries);
    const results = [];
    for (const entry of entries) {
      const invalid = this.validate(entry);
      if (invalid) {
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: invalid });
        continue;
      }
      const bus = this.busName(entry.EventBusName);
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType!,
        source: entry.Source!,
        account: this.model.naming.accountId,
        time: new Date(entry.Time === undefined ? Date.now() : typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        region: this.model.naming.region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail!),
      };
      const matched = this.model.rules.filter(
        (r) =>
          r.eventBusName === bus && r.state === 'ENABLED' && r.eventPattern !== undefined && matchesEventPattern(r.eventPattern, event),
      );
      for (const rule of matched) {
        for (const target of rule.targets) {
          const payload = target.input ?? JSON.stringify(target.inputPath ? pick(event, target.inputPath) : event);
          if (target.kind === 'sqs') await this.delivery.toQueue(target.arn, payload);
          else if (target.kind === 'lambda') this.delivery.toFunction(target.arn, JSON.parse(payload));
        }
      }
      for (const l of this.listeners)
        l(
          event,
          matched.map((r) => r.name),
        );
      results.push({ EventId: event.id });
    }
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private validate(e: PutEventsEntry): string | undefined {
    if (!e.Source || !e.DetailType) return 'Source and DetailType are required';
    if (!e.Detail) return 'Detail is required';
    if (Buffer.byteLength(JSON.stringify(e)) > MAX_ENTRY_BYTES) return 'entry is larger than 256 KB';
    try {
      const detail = JSON.parse(e.Detail);
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return 'Detail must be a JSON object';
    } catch {
      return 'Detail is not valid JSON';
    }
    return undefined;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req
        .on('data', (c) => chunks.push(c))
        .on('end', async () => {
          const target = String(req.headers['x-amz-target'] ?? '');
          const reply = (status: number, body: unknown) => {
            res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
          };
          try {
            const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
            if (target === 'AWSEvents.PutEvents') {
              if (!Array.isArray(input.Entries) || input.Entries.length < 1 || input.Entries.length > 10) {
                return reply(400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 entries' });
              }
              return reply(200, await this.putEvents(input.Entries));
            }
            if (target === 'AWSEvents.DescribeEventBus') {
              const bus =
                this.model.buses.find((b) => b.name === this.busName(input.Name)) ??
                (input.Name ? undefined : { name: 'default', arn: '' });
              return bus
                ? reply(200, { Name: bus.name, Arn: bus.arn })
                : reply(400, { __type: 'ResourceNotFoundException', message: `bus ${input.Name} not found` });
            }
            if (target === 'AWSEvents.DescribeRule') {
              const r = this.describeRule(input.Name);
              return reply(200, { Name: r.name, State: r.state, EventPattern: r.eventPattern });
            }
            if (target === 'AWSEvents.DisableRule' || target === 'AWSEvents.EnableRule') {
              this.updateRule(input.Name, { state: target === 'AWSEvents.DisableRule' ? 'DISABLED' : 'ENABLED' });
              return reply(200, {});
            }
            if (target === 'AWSEvents.PutRule') {
              this.updateRule(input.Name, { eventPattern: input.EventPattern, state: input.State });
              return reply(200, {
                RuleArn: `arn:aws:events:${this.model.naming.region}:${this.model.naming.accountId}:rule/${input.Name}`,
              });
            }
            reply(400, { __type: 'UnknownOperationException', message: `${target} is not emulated offline` });
          } catch (err) {
            if ((err as { code?: string }).code === 'ResourceNotFoundException')
              return reply(400, { __type: 'ResourceNotFoundException', message: (err as Error).message });
            reply(500, { __type: 'InternalException', message: (err as Error).message });
          }
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function pick(event: unknown, jsonPath: string): unknown {
  return jsonPath
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<any>((v, k) => v?.[k], event);
}
