/**
 * CloudWatch Logs filter patterns, offline: parses a metric filter's FilterPattern and tests log event messages
 * against it, as CloudWatch Logs does for metric filters. No maintained npm package does this, hence this file.
 *
 * Supported (what the templates here use, and what CDK's FilterPattern renders):
 * - the empty pattern (every event);
 * - term patterns: words or "quoted phrases", all of which must occur in the message (case-sensitive);
 * - JSON patterns `{ … }`: selectors `$.a.b`, `$.list[0]`; `=` and `!=` against a "string", a bare word or `*`
 *   (`*` anywhere in a string is a wildcard); `=`, `!=`, `<`, `>`, `<=`, `>=` against a number; `IS NULL`,
 *   `IS TRUE`, `IS FALSE`, `NOT EXISTS`; `&&`, `||` and parentheses (`&&` binds tighter).
 *
 * Semantics, where CloudWatch's documentation leaves room: a JSON pattern never matches a message that is not a
 * JSON object; a comparison on a field the event lacks is false (`!=` included; only NOT EXISTS holds); a number
 * in the pattern compares with JSON numbers only; a string in the pattern compares with the text of a string,
 * number or boolean field (so `"429"` matches both 429 and "429").
 *
 * Anything else (space-delimited `[a, b]` patterns, `?` and `-` terms, `%regex%`, `$.*` selectors) throws a
 * FilterPatternError naming what is not supported, when the pattern is compiled — not on the first log line.
 */

export class FilterPatternError extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`filter pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'FilterPatternError';
  }
}

type Path = (string | number)[];
type Literal = { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'any' };
type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'compare'; path: Path; op: '=' | '!=' | '<' | '>' | '<=' | '>='; literal: Literal }
  | { kind: 'is'; path: Path; what: 'NULL' | 'TRUE' | 'FALSE' | 'NOT EXISTS' };

/** What a matching event offers a metric transformation: its parsed JSON (JSON patterns only). */
export interface FilterMatch {
  json?: unknown;
}

export interface CompiledFilterPattern {
  readonly pattern: string;
  /** undefined when the event does not match. */
  match(message: string): FilterMatch | undefined;
}

export function compileFilterPattern(pattern: string): CompiledFilterPattern {
  const text = pattern.trim();
  if (text === '') return { pattern, match: () => ({}) };
  if (text.startsWith('{')) {
    const expr = new JsonPatternParser(pattern, text).parse();
    return {
      pattern,
      match: (message) => {
        const json = parseJsonObject(message);
        return json !== undefined && evaluate(expr, json) ? { json } : undefined;
      },
    };
  }
  if (text.startsWith('[')) throw new FilterPatternError(pattern, 'space-delimited patterns ([…]) are not supported offline');
  const terms = parseTerms(pattern, text);
  return { pattern, match: (message) => (terms.every((t) => message.includes(t)) ? {} : undefined) };
}

/** A selector (`$.a.b[0]`) read from a parsed event; undefined when a step is missing. */
export function select(json: unknown, path: Path): unknown {
  let at: unknown = json;
  for (const step of path) {
    if (at === null || typeof at !== 'object') return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(at)) return undefined;
      at = at[step];
    } else {
      if (Array.isArray(at) || !Object.hasOwn(at, step)) return undefined;
      at = (at as Record<string, unknown>)[step];
    }
  }
  return at;
}

/** `$.a.b[0]` → ['a', 'b', 0]; throws on anything else. */
export function parseSelector(selector: string, pattern = selector): Path {
  const m = /^\$((?:\.[A-Za-z0-9_@-]+|\[\d+\])+)$/.exec(selector.trim());
  if (!m) {
    if (selector.includes('*')) throw new FilterPatternError(pattern, `wildcard selectors (${selector}) are not supported offline`);
    throw new FilterPatternError(pattern, `"${selector}" is not a JSON selector ($.field, $.a.b, $.list[0])`);
  }
  return [...m[1].matchAll(/\.([A-Za-z0-9_@-]+)|\[(\d+)\]/g)].map((s) => (s[1] !== undefined ? s[1] : Number(s[2])));
}

function parseJsonObject(message: string): unknown {
  const trimmed = message.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const json = JSON.parse(trimmed);
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

function parseTerms(pattern: string, text: string): string[] {
  const terms: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text))) {
    consumed = re.lastIndex;
    const bare = m[2];
    if (bare !== undefined && (bare.startsWith('?') || bare.startsWith('-')))
      throw new FilterPatternError(pattern, `"${bare}": ? (any of) and - (excluded) terms are not supported offline`);
    if (bare?.startsWith('%')) throw new FilterPatternError(pattern, 'regular expressions (%…%) are not supported offline');
    if (bare?.includes('"')) throw new FilterPatternError(pattern, `unbalanced quote in ${bare}`);
    terms.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : bare!);
  }
  if (text.slice(consumed).trim() !== '') throw new FilterPatternError(pattern, `cannot read "${text.slice(consumed)}"`);
  return terms;
}

/** A `*` wildcard string (`Update*`, `*error*`) as an anchored regular expression. */
function globRegex(value: string): RegExp {
  return new RegExp(
    `^${value
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
}

function evaluate(expr: Expr, json: unknown): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluate(expr.left, json) && evaluate(expr.right, json);
    case 'or':
      return evaluate(expr.left, json) || evaluate(expr.right, json);
    case 'is': {
      const v = select(json, expr.path);
      if (expr.what === 'NOT EXISTS') return v === undefined;
      if (expr.what === 'NULL') return v === null;
      return v === (expr.what === 'TRUE');
    }
    case 'compare': {
      const v = select(json, expr.path);
      if (v === undefined) return false;
      const { op, literal } = expr;
      if (literal.kind === 'any') return op === '=' ? v !== null : v === null;
      if (literal.kind === 'number') {
        if (typeof v !== 'number') return false;
        const n = literal.value;
        return { '=': v === n, '!=': v !== n, '<': v < n, '>': v > n, '<=': v <= n, '>=': v >= n }[op];
      }
      if (!['string', 'number', 'boolean'].includes(typeof v)) return false;
      const equal = literal.value.includes('*') ? globRegex(literal.value).test(String(v)) : String(v) === literal.value;
      return op === '=' ? equal : !equal;
    }
  }
}

type Token = { type: 'punct' | 'op' | 'string' | 'word'; text: string; at: number };

class JsonPatternParser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(
    private readonly pattern: string,
    text: string,
  ) {
    this.tokens = this.tokenize(text);
  }

  private fail(reason: string): never {
    throw new FilterPatternError(this.pattern, reason);
  }

  private tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    const re = /\s*(?:(&&|\|\||!=|<=|>=|[=<>])|([{}()])|"((?:[^"\\]|\\.)*)"|(%[^%]*%)|([^\s{}()=<>!&|"]+))/y;
    let at = 0;
    while (at < text.length) {
      if (text.slice(at).trim() === '') break;
      re.lastIndex = at;
      const m = re.exec(text);
      if (!m) this.fail(`cannot read "${text.slice(at).trim()}"`);
      if (m[1]) tokens.push({ type: 'op', text: m[1], at });
      else if (m[2]) tokens.push({ type: 'punct', text: m[2], at });
      else if (m[3] !== undefined) tokens.push({ type: 'string', text: m[3].replace(/\\(.)/g, '$1'), at });
      else if (m[4]) this.fail('regular expressions (%…%) are not supported offline');
      else tokens.push({ type: 'word', text: m[5], at });
      at = re.lastIndex;
    }
    return tokens;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private next(what: string): Token {
    return this.tokens[this.i++] ?? this.fail(`expected ${what}, the pattern ended`);
  }

  private expect(text: string): void {
    const t = this.next(`"${text}"`);
    if (t.text !== text || t.type === 'string') this.fail(`expected "${text}", found "${t.text}"`);
  }

  parse(): Expr {
    this.expect('{');
    const expr = this.or();
    this.expect('}');
    if (this.peek()) this.fail(`unexpected "${this.peek()!.text}" after the closing brace`);
    return expr;
  }

  private or(): Expr {
    let left = this.and();
    while (this.peek()?.text === '||' && this.peek()?.type === 'op') {
      this.i++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.unary();
    while (this.peek()?.text === '&&' && this.peek()?.type === 'op') {
      this.i++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t?.type === 'punct' && t.text === '(') {
      this.i++;
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const sel = this.next('a selector ($.field)');
    if (sel.type !== 'word' || !sel.text.startsWith('$')) this.fail(`expected a selector ($.field), found "${sel.text}"`);
    const path = parseSelector(sel.text, this.pattern);
    const op = this.next('an operator');
    if (op.type === 'word' && (op.text === 'IS' || op.text === 'NOT')) {
      const what = this.next(op.text === 'IS' ? 'NULL, TRUE or FALSE' : 'EXISTS');
      if (op.text === 'NOT') {
        if (what.text !== 'EXISTS') this.fail(`expected NOT EXISTS, found NOT ${what.text}`);
        return { kind: 'is', path, what: 'NOT EXISTS' };
      }
      if (!['NULL', 'TRUE', 'FALSE'].includes(what.text)) this.fail(`expected IS NULL, IS TRUE or IS FALSE, found IS ${what.text}`);
      return { kind: 'is', path, what: what.text as 'NULL' };
    }
    if (op.type !== 'op' || op.text === '&&' || op.text === '||') this.fail(`expected an operator after ${sel.text}, found "${op.text}"`);
    const value = this.next('a value');
    const literal = this.literal(value);
    const relational = !['=', '!='].includes(op.text);
    if (relational && literal.kind !== 'number') this.fail(`${op.text} compares numbers: "${value.text}" is not a number`);
    return { kind: 'compare', path, op: op.text as '=', literal };
  }

  private literal(t: Token): Literal {
    if (t.type === 'string') return t.text === '*' ? { kind: 'any' } : { kind: 'string', value: t.text };
    if (t.type !== 'word' || t.text.startsWith('$')) this.fail(`expected a value, found "${t.text}"`);
    if (t.text === '*') return { kind: 'any' };
    const n = Number(t.text);
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t.text) && Number.isFinite(n)) return { kind: 'number', value: n };
    return { kind: 'string', value: t.text };
  }
}

/**
 * A metric transformation's MetricValue for a matching event: a number literal ('1'), or `$.field` read from the
 * event (a JSON number, or a string holding one); undefined when the field holds no number (no datum is published).
 */
export function metricValueOf(metricValue: string, match: FilterMatch, pattern = ''): number | undefined {
  const v = metricValue.trim();
  if (v.startsWith('$')) {
    if (match.json === undefined) throw new FilterPatternError(pattern, `MetricValue ${v} needs a JSON pattern`);
    const raw = select(match.json, parseSelector(v, pattern));
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    return Number.isFinite(n) ? n : undefined;
  }
  const n = Number(v);
  if (v === '' || !Number.isFinite(n))
    throw new FilterPatternError(pattern, `MetricValue "${metricValue}" is neither a number nor $.field`);
  return n;
}
