/**
 * The template's CloudWatch Logs metric filters (AWS::Logs::MetricFilter), offline: every line a function prints
 * is a log event of that function's log group (FunctionModel.logGroup), tested against each filter on that group
 * (filter-pattern.ts); a match publishes each transformation's value (a literal or `$.field`) with its dimensions
 * (`$.field` values) into the metric store, at the event's time, as CloudWatch Logs does. It knows nothing of the
 * application: what it evaluates is what the template declares.
 *
 * DefaultValue: CloudWatch reports it "during a period when logs are ingested but no matching logs are found", so
 * here each filter publishes its default once for every metric minute in which its log group had events and none
 * matched (at the end of that minute, on the next `flush`). A minute without events publishes nothing.
 *
 * An API stage's access log is a log group too: the offline API Gateway writes one line per request in the stage's
 * format (api-gateway.ts accessLogLine), fed here with `ingestGroup`. A filter whose log group receives nothing
 * offline (no function or stage of the template writes to it) is listed in `unfed`, never evaluated.
 */
import {
  compileFilterPattern,
  type CompiledFilterPattern,
  FilterPatternError,
  metricValueOf,
  parseSelector,
  select,
} from './filter-pattern';
import type { MetricDatum } from './metrics';
import type { FunctionModel, MetricFilterModel, MetricTransformationModel } from './model';

interface CompiledFilter {
  model: MetricFilterModel;
  pattern: CompiledFilterPattern;
  transformations: (MetricTransformationModel & { dimensionPaths: [string, (string | number)[]][] })[];
  /** The metric minute being counted: had it events, did one match. */
  minute: { index: number; events: boolean; matched: boolean };
}

export class LogMetricFilters {
  private readonly byGroup = new Map<string, CompiledFilter[]>();
  private readonly groupOf = new Map<string, string>();
  /** Filters on a log group no function of the template writes to: nothing feeds them offline. */
  readonly unfed: MetricFilterModel[] = [];

  /**
   * Compiles every filter (an unsupported pattern throws here, naming the filter). `minuteMs`: real milliseconds
   * of one metric minute (60 000 × the runtime's time scale). `otherGroups`: log groups fed by something other than a
   * function (`ingestGroup`: an API stage's access log).
   */
  constructor(
    functions: Pick<FunctionModel, 'functionName' | 'logGroup'>[],
    filters: MetricFilterModel[],
    private readonly put: (d: MetricDatum) => void,
    private readonly minuteMs = 60_000,
    otherGroups: string[] = [],
  ) {
    for (const f of functions) this.groupOf.set(f.functionName, f.logGroup);
    const fed = new Set([...functions.map((f) => f.logGroup), ...otherGroups]);
    for (const model of filters) {
      let compiled: CompiledFilter;
      try {
        compiled = {
          model,
          pattern: compileFilterPattern(model.filterPattern),
          transformations: model.transformations.map((t) => {
            // Fails now, not on the first match: a literal value that is not a number, a dimension that is not $.field.
            if (!t.metricValue.trim().startsWith('$')) metricValueOf(t.metricValue, {}, model.filterPattern);
            return {
              ...t,
              dimensionPaths: Object.entries(t.dimensions).map(([name, field]): [string, (string | number)[]] => {
                if (!field.trim().startsWith('$'))
                  throw new FilterPatternError(model.filterPattern, `dimension ${name}: "${field}" is not a $.field of the event`);
                return [name, parseSelector(field, model.filterPattern)];
              }),
            };
          }),
          minute: { index: -1, events: false, matched: false },
        };
      } catch (err) {
        throw new Error(`${model.logicalId}.Properties: ${(err as Error).message}`);
      }
      if (!fed.has(model.logGroup)) {
        this.unfed.push(model);
        continue;
      }
      const list = this.byGroup.get(model.logGroup) ?? [];
      list.push(compiled);
      this.byGroup.set(model.logGroup, list);
    }
  }

  /** One line a function printed (stdout or stderr: both reach its log group). Returns the datums published. */
  ingest(functionName: string, message: string, timestamp = Date.now()): number {
    const group = this.groupOf.get(functionName);
    return group === undefined ? 0 : this.ingestGroup(group, message, timestamp);
  }

  /** One log event of a log group (as the model names it). Returns the datums published. */
  ingestGroup(logGroup: string, message: string, timestamp = Date.now()): number {
    const filters = this.byGroup.get(logGroup);
    if (!filters) return 0;
    let published = 0;
    const minute = Math.floor(timestamp / this.minuteMs);
    for (const f of filters) {
      if (f.minute.index !== minute) {
        this.closeMinute(f);
        f.minute = { index: minute, events: false, matched: false };
      }
      f.minute.events = true;
      const match = f.pattern.match(message);
      if (!match) continue;
      f.minute.matched = true;
      for (const t of f.transformations) {
        const value = metricValueOf(t.metricValue, match, f.model.filterPattern);
        if (value === undefined) continue; // the field holds no number: CloudWatch publishes nothing either
        const dimensions: Record<string, string> = {};
        let complete = true;
        for (const [name, path] of t.dimensionPaths) {
          const v = select(match.json, path);
          if (v === undefined || v === null || typeof v === 'object') complete = false;
          else dimensions[name] = String(v);
        }
        if (!complete) continue;
        this.put({ namespace: t.namespace, name: t.metricName, dimensions, value, unit: t.unit, timestamp });
        published++;
      }
    }
    return published;
  }

  /** Publishes the default values of the metric minutes that are over (call it about once a metric minute). */
  flush(now = Date.now()): void {
    const minute = Math.floor(now / this.minuteMs);
    for (const filters of this.byGroup.values())
      for (const f of filters)
        if (f.minute.index !== -1 && f.minute.index < minute) {
          this.closeMinute(f);
          f.minute = { index: -1, events: false, matched: false };
        }
  }

  private closeMinute(f: CompiledFilter): void {
    if (f.minute.index === -1 || !f.minute.events || f.minute.matched) return;
    const timestamp = (f.minute.index + 1) * this.minuteMs - 1;
    for (const t of f.transformations)
      if (t.defaultValue !== undefined)
        this.put({ namespace: t.namespace, name: t.metricName, dimensions: {}, value: t.defaultValue, unit: t.unit, timestamp });
  }
}
