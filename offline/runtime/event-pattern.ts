/**
 * Amazon EventBridge event patterns, as the offline bus matches rules and the offline event source mappings apply
 * Lambda FilterCriteria (same syntax, applied to the SQS record with `body` parsed, or to the DynamoDB stream record).
 *
 * Semantics follow AWS's documentation and its open-source engine (aws/event-ruler):
 * - every field named in the pattern must match (AND); the values listed for one field are alternatives (OR);
 * - an event array matches when any element matches; a nested pattern object applied to an array of objects must
 *   match within a single element (event-ruler's "array consistency");
 * - matchers only see leaf values (strings, numbers, booleans, null): an object is not a value, so `exists: false`
 *   matches a field holding an object and every other matcher does not;
 * - a field that is absent matches only `exists: false` (so `anything-but` never matches a missing field);
 * - string matchers (prefix, suffix, equals-ignore-case, wildcard, cidr) never match numbers, and numeric matchers
 *   never match strings; numbers compare by value (the parsed JSON cannot tell 5 from 5.0 anyway).
 * Patterns are validated the way AWS validates them at PutRule / CreateEventSourceMapping time: anything unknown or
 * malformed throws, so an offline run fails where a deployment would.
 */

type Leaf = string | number | boolean | null;
type LeafTest = (value: Leaf) => boolean;
type Test = (value: unknown) => boolean;

/** The operators a matcher object may use, also reserved as field names inside `$or` (event-ruler rejects them). */
const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'cidr', 'exists']);

// Patterns are matched against many events: compile each pattern object once.
const compiled = new WeakMap<object, Test>();

export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return compile(pattern)(event);
}

/** Throws an Error explaining what is wrong (and where) when `pattern` is not a valid event pattern. */
export function validateEventPattern(pattern: unknown): void {
  compile(pattern);
}

function compile(pattern: unknown): Test {
  if (!isObject(pattern)) throw new Error('Invalid event pattern: the pattern must be a JSON object');
  let test = compiled.get(pattern);
  if (!test) compiled.set(pattern, (test = compileObject(pattern, '', false)));
  return test;
}

function invalid(path: string, message: string): never {
  throw new Error(`Invalid event pattern${path ? ` at "${path}"` : ''}: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileObject(pattern: Record<string, unknown>, path: string, insideOr: boolean): Test {
  const keys = Object.keys(pattern);
  if (keys.length === 0) invalid(path, 'empty objects are not allowed');
  const tests = keys.map((key): Test => {
    const at = path ? `${path}.${key}` : key;
    const value = pattern[key];
    if (key === '$or') return compileOr(value, at);
    if (insideOr && OPERATORS.has(key)) invalid(at, `"${key}" is an operator and cannot be a field name inside $or`);
    if (Array.isArray(value)) {
      const field = compileField(value, at);
      return (object) => field(fieldOf(object, key));
    }
    if (isObject(value)) {
      const nested = compileObject(value, at, insideOr);
      return (object) => matchesNested(nested, fieldOf(object, key));
    }
    return invalid(at, 'a field must be an array of values or a nested object');
  });
  return (object) => tests.every((test) => test(object));
}

/** `$or: [ {…}, {…} ]`: alternatives applied to the same object the `$or` sits in. */
function compileOr(value: unknown, at: string): Test {
  if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
    invalid(at, '$or must be an array of at least 2 pattern objects');
  }
  // Branch paths are only used in error messages; the branches match the same object the $or sits in.
  const branches = (value as Record<string, unknown>[]).map((branch, i) => compileObject(branch, `${at}[${i}]`, true));
  return (object) => branches.some((branch) => branch(object));
}

function fieldOf(object: unknown, key: string): unknown {
  return isObject(object) && Object.hasOwn(object, key) ? object[key] : undefined;
}

/** A nested pattern against an array of objects must hold within one element; against a non-object, every field is absent. */
function matchesNested(test: Test, value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0 ? test(undefined) : value.some((element) => matchesNested(test, element));
  return test(isObject(value) ? value : undefined);
}

/** The leaf values of a field: arrays are flattened, objects are not values. */
function leavesOf(value: unknown): Leaf[] {
  if (value === undefined || isObject(value)) return [];
  if (Array.isArray(value)) return value.flatMap(leavesOf);
  return [value as Leaf];
}

function compileField(values: unknown[], path: string): Test {
  if (values.length === 0) invalid(path, 'empty arrays are not allowed');
  let matchesAbsent = false;
  const tests: LeafTest[] = [];
  values.forEach((value, i) => {
    const at = `${path}[${i}]`;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      tests.push((leaf) => leaf === value);
    } else if (isObject(value) && Object.keys(value).length === 1 && 'exists' in value) {
      if (typeof value.exists !== 'boolean') invalid(at, 'exists must be true or false');
      if (value.exists) tests.push(() => true);
      else matchesAbsent = true;
    } else if (isObject(value)) {
      tests.push(compileMatcher(value, at));
    } else {
      invalid(at, 'a value must be a string, number, boolean, null or a matcher object');
    }
  });
  return (field) => {
    const leaves = leavesOf(field);
    if (leaves.length === 0) return matchesAbsent;
    return leaves.some((leaf) => tests.some((test) => test(leaf)));
  };
}

const isString = (leaf: Leaf): leaf is string => typeof leaf === 'string';

function compileMatcher(matcher: Record<string, unknown>, path: string): LeafTest {
  const keys = Object.keys(matcher);
  if (keys.length !== 1) invalid(path, `a matcher object must have exactly one key, got ${JSON.stringify(keys)}`);
  const [op] = keys;
  const arg = matcher[op];
  const at = `${path}.${op}`;
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const test = op === 'prefix' ? (s: string, p: string) => s.startsWith(p) : (s: string, p: string) => s.endsWith(p);
      if (typeof arg === 'string') return (leaf) => isString(leaf) && test(leaf, arg);
      const ignoreCase = isObject(arg) && Object.keys(arg).length === 1 ? arg['equals-ignore-case'] : undefined;
      if (typeof ignoreCase !== 'string') invalid(at, `${op} takes a string or { "equals-ignore-case": string }`);
      const lower = ignoreCase.toLowerCase();
      return (leaf) => isString(leaf) && test(leaf.toLowerCase(), lower);
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') invalid(at, 'equals-ignore-case takes a string');
      const lower = arg.toLowerCase();
      return (leaf) => isString(leaf) && leaf.toLowerCase() === lower;
    }
    case 'wildcard': {
      if (typeof arg !== 'string') invalid(at, 'wildcard takes a string');
      const regex = wildcardRegex(arg, at);
      return (leaf) => isString(leaf) && regex.test(leaf);
    }
    case 'anything-but': {
      const excluded = compileAnythingBut(arg, at);
      return (leaf) => !excluded(leaf);
    }
    case 'numeric':
      return compileNumeric(arg, at);
    case 'cidr':
      return compileCidr(arg, at);
    default:
      return invalid(path, `unknown operator "${op}"`);
  }
}

/** Returns the test for what anything-but excludes. */
function compileAnythingBut(arg: unknown, at: string): LeafTest {
  if (typeof arg === 'string' || typeof arg === 'number') return (leaf) => leaf === arg;
  if (Array.isArray(arg)) {
    // AWS: a non-empty list of only strings or only numbers.
    const allStrings = arg.every((v) => typeof v === 'string');
    const allNumbers = arg.every((v) => typeof v === 'number');
    if (arg.length === 0 || !(allStrings || allNumbers)) invalid(at, 'anything-but takes a list of only strings or only numbers');
    const set = new Set<unknown>(arg);
    return (leaf) => set.has(leaf);
  }
  if (isObject(arg) && Object.keys(arg).length === 1) {
    const [op] = Object.keys(arg);
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(op)) invalid(at, `unknown anything-but operator "${op}"`);
    const raw = arg[op];
    const list = typeof raw === 'string' ? [raw] : raw;
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) {
      invalid(`${at}.${op}`, `anything-but ${op} takes a string or a list of strings`);
    }
    switch (op) {
      case 'prefix':
      case 'suffix':
        if (list.includes('')) invalid(`${at}.${op}`, `an empty ${op} is not allowed`);
        return op === 'prefix'
          ? (leaf) => isString(leaf) && list.some((p) => leaf.startsWith(p))
          : (leaf) => isString(leaf) && list.some((s) => leaf.endsWith(s));
      case 'equals-ignore-case': {
        const lower = new Set(list.map((v) => v.toLowerCase()));
        return (leaf) => isString(leaf) && lower.has(leaf.toLowerCase());
      }
      case 'wildcard': {
        const regexes = list.map((w) => wildcardRegex(w, `${at}.${op}`));
        return (leaf) => isString(leaf) && regexes.some((r) => r.test(leaf));
      }
    }
  }
  return invalid(at, 'anything-but takes a string, a number, a list, or { prefix | suffix | equals-ignore-case | wildcard }');
}

/** `[op, n]` or a range `[">"|">=", lower, "<"|"<=", upper]`, lower bound first, as AWS requires. */
function compileNumeric(arg: unknown, at: string): LeafTest {
  const shape = 'numeric takes ["=", n], ["<"|"<="|">"|">=", n] or [">"|">=", n, "<"|"<=", m]';
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) invalid(at, shape);
  const [op1, n1, op2, n2] = arg as unknown[];
  if (typeof n1 !== 'number' || (arg.length === 4 && typeof n2 !== 'number')) invalid(at, `${shape}: bounds must be numbers`);
  const compare = (op: unknown, bound: number): ((v: number) => boolean) => {
    switch (op) {
      case '=':
        return (v) => v === bound;
      case '<':
        return (v) => v < bound;
      case '<=':
        return (v) => v <= bound;
      case '>':
        return (v) => v > bound;
      case '>=':
        return (v) => v >= bound;
      default:
        return invalid(at, `unknown numeric operator ${JSON.stringify(op)}`);
    }
  };
  const first = compare(op1, n1);
  if (arg.length === 2) return (leaf) => typeof leaf === 'number' && first(leaf);
  if ((op1 !== '>' && op1 !== '>=') || (op2 !== '<' && op2 !== '<=')) invalid(at, shape);
  if (!((n1 as number) < (n2 as number))) invalid(at, 'the lower bound of a numeric range must be below the upper bound');
  const second = compare(op2, n2 as number);
  return (leaf) => typeof leaf === 'number' && first(leaf) && second(leaf);
}

/** `*` matches any run of characters; `\*` and `\\` are literals; `**` and other escapes are invalid (as on AWS). */
function wildcardRegex(wildcard: string, at: string): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i];
    if (c === '\\') {
      const next = wildcard[++i];
      if (next !== '*' && next !== '\\') invalid(at, 'a backslash in a wildcard may only escape * or \\');
      source += `\\${next}`;
    } else if (c === '*') {
      if (wildcard[i + 1] === '*') invalid(at, 'consecutive wildcard characters are not allowed');
      source += '.*';
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function compileCidr(arg: unknown, at: string): LeafTest {
  const [address, length, ...rest] = typeof arg === 'string' ? arg.split('/') : [];
  const network = address === undefined ? undefined : parseIp(address);
  const bits = Number(length);
  if (!network || rest.length > 0 || !/^\d+$/.test(length ?? '') || bits > network.width) {
    invalid(at, `cidr takes an IPv4 or IPv6 block such as "10.0.0.0/24", got ${JSON.stringify(arg)}`);
  }
  const shift = BigInt(network.width - bits);
  return (leaf) => {
    const ip = isString(leaf) ? parseIp(leaf) : undefined;
    return ip !== undefined && ip.width === network.width && ip.value >> shift === network.value >> shift;
  };
}

function parseIp(text: string): { width: 32 | 128; value: bigint } | undefined {
  const v4 = (s: string) => {
    const parts = s.split('.');
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
    return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
  };
  if (!text.includes(':')) {
    const value = v4(text);
    return value === undefined ? undefined : { width: 32, value };
  }
  // IPv6: up to 8 hex groups, one '::' for a run of zeros, optionally an IPv4 tail.
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): bigint[] | undefined => {
    if (half === '') return [];
    const out: bigint[] = [];
    for (const [i, g] of half.split(':').entries()) {
      if (g.includes('.') && i === half.split(':').length - 1) {
        const tail = v4(g);
        if (tail === undefined) return undefined;
        out.push(tail >> 16n, tail & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(BigInt(`0x${g}`));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<bigint>(missing).fill(0n), ...tail];
  return { width: 128, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) };
}
