import { FilterPattern } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { compileFilterPattern, FilterPatternError, metricValueOf } from './filter-pattern';

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const matches = (pattern: string, message: string) => compileFilterPattern(pattern).match(message) !== undefined;

const placed = line({ level: 'INFO', message: 'order placed', service: 'orders', amount: 2400, currency: 'EUR', tags: ['a', 'b'] });
const status = line({ message: 'order status changed', status: 'RECEIVED_BY_RESTAURANT', nested: { n: 3, flag: true, none: null } });

describe('JSON filter patterns', () => {
  it('matches string equality, and not another value, a missing field or a non-JSON line', () => {
    expect(matches('{ $.message = "order placed" }', placed)).toBe(true);
    expect(matches('{ $.message = "order charged" }', placed)).toBe(false);
    expect(matches('{ $.nothing = "order placed" }', placed)).toBe(false);
    expect(matches('{ $.message = "order placed" }', 'START RequestId: 1 order placed')).toBe(false);
    expect(matches('{ $.message = "order placed" }', '[1,2]')).toBe(false);
    expect(matches('{ $.message = "order placed" }', '{"message": "order placed"')).toBe(false);
    // bare words are strings too
    expect(matches('{ $.currency = EUR }', placed)).toBe(true);
  });

  it('combines with && and || (&& binds tighter) and parentheses', () => {
    expect(matches('{ $.message = "order status changed" && $.status = "RECEIVED_BY_RESTAURANT" }', status)).toBe(true);
    expect(matches('{ $.message = "order status changed" && $.status = "CHARGED" }', status)).toBe(false);
    expect(matches('{ $.message = "x" || $.status = "RECEIVED_BY_RESTAURANT" }', status)).toBe(true);
    expect(matches('{ $.message = "x" || $.status = "y" && $.nested.n = 3 }', status)).toBe(false);
    expect(matches('{ ($.message = "x" || $.status = "RECEIVED_BY_RESTAURANT") && $.nested.n = 3 }', status)).toBe(true);
    expect(matches('{ ($.message = "x" || $.status = "RECEIVED_BY_RESTAURANT") && $.nested.n = 4 }', status)).toBe(false);
  });

  it('compares numbers with = != < > <= >=, only against JSON numbers', () => {
    expect(matches('{ $.amount > 0 }', placed)).toBe(true);
    expect(matches('{ $.amount > 2400 }', placed)).toBe(false);
    expect(matches('{ $.amount >= 2400 }', placed)).toBe(true);
    expect(matches('{ $.amount < 2400.5 }', placed)).toBe(true);
    expect(matches('{ $.amount <= 2399 }', placed)).toBe(false);
    expect(matches('{ $.amount = 2400 }', placed)).toBe(true);
    expect(matches('{ $.amount != 2400 }', placed)).toBe(false);
    expect(matches('{ $.amount = 2.4e3 }', placed)).toBe(true);
    expect(matches('{ $.nested.n > -1 }', status)).toBe(true);
    expect(matches('{ $.currency > 0 }', placed)).toBe(false); // a string is not a number
    expect(matches('{ $.missing != 1 }', placed)).toBe(false); // a missing field never compares
  });

  it('a string in the pattern compares with the text of a number ("429" matches 429)', () => {
    expect(matches('{ $.status = "429" }', line({ status: '429' }))).toBe(true);
    expect(matches('{ $.status = "429" }', line({ status: 429 }))).toBe(true);
    expect(matches('{ $.status = "429" }', line({ status: 200 }))).toBe(false);
    expect(matches('{ $.status != "429" }', line({ status: '200' }))).toBe(true);
  });

  it('supports * wildcards in strings and * alone for any value', () => {
    expect(matches('{ $.message = "order*" }', placed)).toBe(true);
    expect(matches('{ $.message = "*placed" }', placed)).toBe(true);
    expect(matches('{ $.message = "*der pl*" }', placed)).toBe(true);
    expect(matches('{ $.message = "*charged" }', placed)).toBe(false);
    expect(matches('{ $.message = "order.placed" }', placed)).toBe(false); // '.' is literal
    expect(matches('{ $.amount = * }', placed)).toBe(true);
    expect(matches('{ $.amount = "*" }', placed)).toBe(true);
    expect(matches('{ $.missing = * }', placed)).toBe(false);
  });

  it('reads nested fields and array elements', () => {
    expect(matches('{ $.tags[1] = "b" }', placed)).toBe(true);
    expect(matches('{ $.tags[2] = "b" }', placed)).toBe(false);
    expect(matches('{ $.nested.flag IS TRUE }', status)).toBe(true);
    expect(matches('{ $.nested.flag IS FALSE }', status)).toBe(false);
    expect(matches('{ $.nested.none IS NULL }', status)).toBe(true);
    expect(matches('{ $.nested.n IS NULL }', status)).toBe(false);
    expect(matches('{ $.nested.absent NOT EXISTS }', status)).toBe(true);
    expect(matches('{ $.nested.n NOT EXISTS }', status)).toBe(false);
  });

  it('reads every pattern CDK renders the same way CDK means it', () => {
    const cases: [string, string, boolean][] = [
      [FilterPattern.stringValue('$.status', '=', '429').logPatternString, line({ status: '429' }), true],
      [FilterPattern.stringValue('$.status', '=', '429').logPatternString, line({ status: '200' }), false],
      [FilterPattern.numberValue('$.n', '>', 0).logPatternString, line({ n: 1 }), true],
      [FilterPattern.exists('$.n').logPatternString, line({ n: 0 }), true],
      [FilterPattern.exists('$.n').logPatternString, line({ m: 0 }), false],
      [
        FilterPattern.all(FilterPattern.stringValue('$.a', '=', 'x'), FilterPattern.numberValue('$.n', '>=', 0)).logPatternString,
        line({ a: 'x', n: 0 }),
        true,
      ],
      [
        FilterPattern.any(FilterPattern.stringValue('$.a', '=', 'x'), FilterPattern.isNull('$.b')).logPatternString,
        line({ b: null }),
        true,
      ],
      [FilterPattern.notExists('$.a').logPatternString, line({ b: 1 }), true],
      [FilterPattern.booleanValue('$.ok', false).logPatternString, line({ ok: false }), true],
    ];
    for (const [pattern, message, expected] of cases) expect(matches(pattern, message), `${pattern} on ${message}`).toBe(expected);
  });
});

describe('term patterns', () => {
  it('the empty pattern matches every event', () => {
    expect(matches('', 'anything')).toBe(true);
    expect(matches('  ', placed)).toBe(true);
  });

  it('every term or quoted phrase must occur, case-sensitively', () => {
    expect(matches('ERROR', 'an ERROR here')).toBe(true);
    expect(matches('ERROR', 'an error here')).toBe(false);
    expect(matches('ERROR "order 42"', 'ERROR on order 42')).toBe(true);
    expect(matches('ERROR "order 42"', 'ERROR on order 43')).toBe(false);
    expect(matches(FilterPattern.allTerms('a b', 'c').logPatternString, 'c then a b')).toBe(true);
  });
});

describe('unsupported syntax fails when compiled, naming it', () => {
  it.each([
    ['[ip, user, status = 429]', /space-delimited/],
    ['?ERROR ?WARN', /any of/],
    ['ERROR -DEBUG', /excluded/],
    ['%ERR[0-9]+%', /regular expressions/],
    ['{ $.message = %order.*% }', /regular expressions/],
    ['{ $.* = "x" }', /wildcard selectors/],
    ['{ $.a = "x" ', /expected "}"/],
    ['{ $.a "x" }', /expected an operator/],
    ['{ $.a > "x" }', /compares numbers/],
    ['{ message = "x" }', /expected a selector/],
    ['{ $.a IS MAYBE }', /IS NULL, IS TRUE or IS FALSE/],
    ['{ $.a = "x" } trailing', /after the closing brace/],
    ['{ $.a = "x" && }', /expected a selector|pattern ended/],
  ])('%s', (pattern, reason) => {
    expect(() => compileFilterPattern(pattern)).toThrow(FilterPatternError);
    expect(() => compileFilterPattern(pattern)).toThrow(reason);
  });
});

describe('metric values', () => {
  const match = compileFilterPattern('{ $.amount >= 0 }').match(placed)!;

  it('a literal, or a field of the matched event', () => {
    expect(metricValueOf('1', match)).toBe(1);
    expect(metricValueOf('2.5', match)).toBe(2.5);
    expect(metricValueOf('$.amount', match)).toBe(2400);
    expect(metricValueOf('$.amount', compileFilterPattern('{ $.a = * }').match(line({ a: 1, amount: '12' }))!)).toBe(12);
  });

  it('no value when the field holds no number; an error for a value that can never be one', () => {
    expect(metricValueOf('$.currency', match)).toBeUndefined();
    expect(metricValueOf('$.missing', match)).toBeUndefined();
    expect(() => metricValueOf('one', match)).toThrow(FilterPatternError);
    expect(() => metricValueOf('$.amount', compileFilterPattern('ERROR').match('ERROR')!)).toThrow(/needs a JSON pattern/);
  });
});
