/**
 * CloudFormation intrinsics, evaluated the way a deployment would, against offline physical names and fake ARNs.
 * Only what the offline runtime reads is resolved (lazily, property by property), and anything that cannot be
 * resolved throws an Error naming the logical id and property path, so a wiring mistake in `lib/` fails loudly.
 */
import type { OfflineNaming } from './model';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
  [key: string]: unknown;
}

/** A synthesized template, as `cdk synth` writes `cdk.out/<Stack>.template.json`. */
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Parameters?: Record<string, { Type: string; Default?: unknown; [key: string]: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, { Value: unknown; Condition?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** `{ Ref: AWS::NoValue }`: removes the enclosing key or list element. */
const NO_VALUE = Symbol('AWS::NoValue');

/** The property holding each type's physical name, and whether the offline resourcePrefix applies to it. */
const NAME_PROPERTY: Record<string, { property: string; prefixed: boolean }> = {
  'AWS::DynamoDB::Table': { property: 'TableName', prefixed: true },
  'AWS::DynamoDB::GlobalTable': { property: 'TableName', prefixed: true },
  'AWS::SQS::Queue': { property: 'QueueName', prefixed: true },
  'AWS::Lambda::Function': { property: 'FunctionName', prefixed: true },
  'AWS::Events::EventBus': { property: 'Name', prefixed: true },
  'AWS::Events::Rule': { property: 'Name', prefixed: true },
  'AWS::SSM::Parameter': { property: 'Name', prefixed: false },
  'AWS::IAM::Role': { property: 'RoleName', prefixed: false },
  'AWS::SNS::Topic': { property: 'TopicName', prefixed: false },
  'AWS::ApiGateway::RestApi': { property: 'Name', prefixed: false },
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, message: string): never {
  throw new Error(`${path}: ${message}`);
}

export class CfnResolver {
  private readonly attributes = new Map<string, unknown>();
  private readonly conditions = new Map<string, boolean | 'evaluating'>();
  private readonly evaluating = new Set<string>();

  constructor(
    readonly template: CfnTemplate,
    private readonly context: { stackName: string; naming: OfflineNaming },
  ) {}

  /** The resources of these types that the stack creates (their Condition, if any, holds), in template order. */
  resources(...types: string[]): [logicalId: string, resource: CfnResource][] {
    return Object.entries(this.template.Resources ?? {}).filter(([id, r]) => types.includes(r.Type) && this.isActive(id));
  }

  isActive(logicalId: string): boolean {
    const condition = this.template.Resources[logicalId]?.Condition;
    return condition === undefined || this.condition(condition, `${logicalId}.Condition`);
  }

  /** Resolves every intrinsic in `value`; `undefined` when it is AWS::NoValue. `path` names it in errors. */
  resolve(value: unknown, path: string): unknown {
    const resolved = this.evaluate(value, path);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Resolves `value` to a string (numbers and booleans are stringified, as CloudFormation does). */
  string(value: unknown, path: string): string {
    return this.scalar(this.resolve(value, path), path);
  }

  ref(logicalId: string, path: string): unknown {
    return this.attribute(logicalId, 'Ref', path);
  }

  getAtt(logicalId: string, attribute: string, path: string): unknown {
    return this.attribute(logicalId, attribute, path);
  }

  /** Offline physical name: resourcePrefix (for shared emulator resources) + the declared name, else the logical id. */
  physicalName(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    const spec = NAME_PROPERTY[resource?.Type];
    const declared = spec && this.declaredName(logicalId);
    // CloudFormation generates names for unnamed resources; a FIFO queue's generated name still ends in .fifo.
    const fifo = resource?.Type === 'AWS::SQS::Queue' && !declared && String(resource.Properties?.FifoQueue) === 'true';
    const base = (declared ?? logicalId) + (fifo ? '.fifo' : '');
    return spec?.prefixed ? this.context.naming.resourcePrefix + base : base;
  }

  /** A rule's bus name: Ref/GetAtt/ARN forms resolve to the name; no EventBusName means the default bus. */
  ruleBusName(ruleId: string): string {
    const raw = this.template.Resources[ruleId]?.Properties?.EventBusName;
    if (raw === undefined) return 'default';
    const value = this.string(raw, `${ruleId}.Properties.EventBusName`);
    const name = value.startsWith('arn:') ? /:event-bus\/(.+)$/.exec(value)?.[1] : value;
    if (!name) fail(`${ruleId}.Properties.EventBusName`, `not an event bus ARN: ${value}`);
    // A literal name of a bus declared in this template means that bus, whatever prefix it gets offline.
    const declared =
      typeof raw === 'string' && this.resources('AWS::Events::EventBus').find(([busId]) => this.declaredName(busId) === name);
    return declared ? this.physicalName(declared[0]) : name;
  }

  condition(name: string, path: string): boolean {
    const known = this.conditions.get(name);
    if (known === 'evaluating') fail(path, `condition "${name}" depends on itself`);
    if (known !== undefined) return known;
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) fail(path, `unknown condition "${name}"`);
    this.conditions.set(name, 'evaluating');
    const value = this.evaluateCondition(expression, `Conditions.${name}`);
    this.conditions.set(name, value);
    return value;
  }

  private declaredName(logicalId: string): string | undefined {
    const property = NAME_PROPERTY[this.template.Resources[logicalId].Type].property;
    const value = this.template.Resources[logicalId].Properties?.[property];
    return value === undefined ? undefined : this.string(value, `${logicalId}.Properties.${property}`);
  }

  private scalar(value: unknown, path: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return fail(path, `expected a string, got ${JSON.stringify(value) ?? 'nothing'}`);
  }

  private evaluate(value: unknown, path: string): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.evaluate(v, `${path}[${i}]`)).filter((v) => v !== NO_VALUE);
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return this.intrinsic(keys[0], value[keys[0]], path);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const resolved = this.evaluate(v, `${path}.${key}`);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, arg: unknown, path: string): unknown {
    const at = `${path}.${name}`;
    const list = (value: unknown, length: number): unknown[] =>
      Array.isArray(value) && value.length === length ? value : fail(at, `expects a list of ${length} arguments`);
    switch (name) {
      case 'Ref':
        return typeof arg === 'string' ? this.refOf(arg, at) : fail(at, 'expects a name');
      case 'Fn::GetAtt': {
        if (typeof arg === 'string' && arg.includes('.'))
          return this.attribute(arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1), at);
        const [id, attribute] = list(arg, 2);
        if (typeof id !== 'string') fail(at, 'expects [logicalId, attribute]');
        return this.attribute(id, this.string(attribute, at), at);
      }
      case 'Fn::Join': {
        const [delimiter, items] = list(arg, 2);
        const values = this.evaluate(items, at);
        if (typeof delimiter !== 'string' || !Array.isArray(values)) fail(at, 'expects [delimiter, list]');
        return values.map((v, i) => this.scalar(v, `${at}[${i}]`)).join(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(arg, at);
      case 'Fn::Select': {
        const [index, items] = list(arg, 2);
        const i = Number(this.resolve(index, at));
        const values = this.evaluate(items, at);
        if (!Array.isArray(values) || !Number.isInteger(i) || i < 0 || i >= values.length) fail(at, `index ${i} is outside the list`);
        return values[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = list(arg, 2);
        if (typeof delimiter !== 'string') fail(at, 'expects [delimiter, string]');
        return this.string(source, at).split(delimiter);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = list(arg, 3);
        if (typeof condition !== 'string') fail(at, 'expects [conditionName, valueIfTrue, valueIfFalse]');
        return this.evaluate(this.condition(condition, at) ? whenTrue : whenFalse, at);
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = list(arg, 3).map((v) => this.string(v, at));
        const value = this.template.Mappings?.[map]?.[top]?.[second];
        return value === undefined ? fail(at, `no mapping ${map}.${top}.${second}`) : this.evaluate(value, at);
      }
      case 'Fn::ImportValue':
        return fail(at, 'cross-stack imports cannot be resolved offline: the platform must be one stack');
      default:
        return fail(at, `${name} is not supported offline`);
    }
  }

  /** `${Name}`, `${Resource.Attribute}`, `${AWS::Region}`, variables of the [string, vars] form; `${!Literal}` stays literal. */
  private sub(arg: unknown, at: string): string {
    const [text, variables] =
      typeof arg === 'string'
        ? [arg, {}]
        : Array.isArray(arg) && typeof arg[0] === 'string' && isObject(arg[1] ?? {})
          ? [arg[0], arg[1] ?? {}]
          : [];
    if (text === undefined) fail(at, 'expects a string or [string, { variables }]');
    return text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (Object.hasOwn(variables, name)) return this.string(variables[name], `${at}.${name}`);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return this.scalar(this.attribute(name.slice(0, dot), name.slice(dot + 1), at), at);
      return this.scalar(this.refOf(name, at), at);
    });
  }

  private refOf(name: string, at: string): unknown {
    const { region, accountId } = this.context.naming;
    switch (name) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.context.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${region}:${accountId}:stack/${this.context.stackName}/offline`;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) fail(at, `parameter "${name}" has no Default, and offline nothing passes one`);
      const isList = parameter.Type === 'CommaDelimitedList' || parameter.Type.includes('List<');
      return isList ? String(parameter.Default).split(',') : parameter.Default;
    }
    return this.attribute(name, 'Ref', at);
  }

  private evaluateCondition(expression: unknown, path: string): boolean {
    if (!isObject(expression) || Object.keys(expression).length !== 1)
      fail(path, 'a condition must be one Fn::Equals/Not/And/Or or Condition');
    const [name] = Object.keys(expression);
    const arg = expression[name];
    const at = `${path}.${name}`;
    const conditions = () => (Array.isArray(arg) ? arg : fail(at, 'expects a list of conditions'));
    switch (name) {
      case 'Condition':
        return typeof arg === 'string' ? this.condition(arg, at) : fail(at, 'expects a condition name');
      case 'Fn::Equals': {
        if (!Array.isArray(arg) || arg.length !== 2) fail(at, 'expects two values');
        // CloudFormation compares the values as strings.
        const [a, b] = arg.map((v) =>
          JSON.stringify(this.resolve(v, at), (_, x) => (typeof x === 'number' || typeof x === 'boolean' ? String(x) : x)),
        );
        return a === b;
      }
      case 'Fn::Not':
        return !this.evaluateCondition(conditions()[0], at);
      case 'Fn::And':
        return conditions().every((c, i) => this.evaluateCondition(c, `${at}[${i}]`));
      case 'Fn::Or':
        return conditions().some((c, i) => this.evaluateCondition(c, `${at}[${i}]`));
      default:
        return fail(at, `${name} is not a condition function`);
    }
  }

  /** Ref ('Ref') and Fn::GetAtt values per resource type: offline names, emulator URLs, fake but stable ARNs. */
  private attribute(logicalId: string, attribute: string, at: string): unknown {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) fail(at, `unknown resource, parameter or pseudo parameter "${logicalId}"`);
    if (!this.isActive(logicalId)) fail(at, `resource "${logicalId}" is not created: its condition "${resource.Condition}" is false`);
    const key = `${logicalId}.${attribute}`;
    if (this.attributes.has(key)) return this.attributes.get(key);
    if (this.evaluating.has(key)) fail(at, `${key} depends on itself`);
    this.evaluating.add(key);
    try {
      const get = this.attributesOf(logicalId, resource)[attribute];
      if (!get) fail(at, `${resource.Type} "${logicalId}" has no attribute "${attribute}" offline`);
      const value = get();
      this.attributes.set(key, value);
      return value;
    } finally {
      this.evaluating.delete(key);
    }
  }

  private attributesOf(id: string, resource: CfnResource): Record<string, () => unknown> {
    const { region, accountId, sqsEndpoint } = this.context.naming;
    const arn = (service: string, rest: string) => `arn:aws:${service}:${region}:${accountId}:${rest}`;
    const name = () => this.physicalName(id);
    const property = (key: string) => this.resolve(resource.Properties?.[key], `${id}.Properties.${key}`);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const tableArn = () => arn('dynamodb', `table/${name()}`);
        const streamArn = () =>
          resource.Properties?.StreamSpecification
            ? `${tableArn()}/stream/offline`
            : fail(`${id}.StreamArn`, 'the table has no stream (StreamSpecification)');
        return { Ref: name, Arn: tableArn, StreamArn: streamArn };
      }
      case 'AWS::SQS::Queue': {
        const url = () => `${sqsEndpoint}/${accountId}/${name()}`;
        return { Ref: url, QueueUrl: url, Arn: () => arn('sqs', name()), QueueName: name };
      }
      case 'AWS::Lambda::Function':
        return { Ref: name, Arn: () => arn('lambda', `function:${name()}`) };
      case 'AWS::Events::EventBus':
        return { Ref: name, Name: name, Arn: () => arn('events', `event-bus/${name()}`) };
      case 'AWS::Events::Rule': {
        const bus = () => this.ruleBusName(id);
        return { Ref: name, Arn: () => arn('events', bus() === 'default' ? `rule/${name()}` : `rule/${bus()}/${name()}`) };
      }
      case 'AWS::SSM::Parameter':
        return { Ref: name, Value: () => property('Value'), Type: () => property('Type') };
      case 'AWS::ApiGateway::RestApi':
        // ':' cannot appear in a logical id, so the root id never collides with a Resource's id.
        return { Ref: () => id, RootResourceId: () => `${id}:root` };
      case 'AWS::ApiGateway::Resource':
      case 'AWS::ApiGateway::Deployment':
        return { Ref: () => id };
      case 'AWS::ApiGateway::Stage':
        return { Ref: () => this.string(resource.Properties?.StageName, `${id}.Properties.StageName`) };
      case 'AWS::IAM::Role':
        return { Ref: name, Arn: () => `arn:aws:iam::${accountId}:role/${name()}` };
      case 'AWS::SNS::Topic': {
        const topicArn = () => arn('sns', name());
        return { Ref: topicArn, TopicArn: topicArn, TopicName: name };
      }
      default: {
        // Alarms, log groups, policies…: nothing offline runs them; a stable fake ARN keeps references resolvable.
        const fake = () => arn(resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown', id);
        return { Ref: fake, Arn: fake };
      }
    }
  }
}
