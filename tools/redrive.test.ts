/**
 * The redrive CLI refuses bad arguments by name, before touching a queue: an operator mid-incident pasting the
 * wrong thing (an ARN, the queues swapped into one, a flag from another tool) must learn which argument is wrong.
 * Moving messages itself is covered end to end (test/e2e/delivery-guarantees.test.ts).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRedriveArgs } from './redrive';

const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ShopWave-PaymentsDlq';
const SOURCE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ShopWave-PaymentsQueue';
const ROOT = path.resolve(import.meta.dirname, '..');

describe('parseRedriveArgs', () => {
  it('accepts AWS, LocalStack and offline queue URLs, with and without a max', () => {
    expect(parseRedriveArgs([DLQ, SOURCE])).toEqual({ dlqUrl: DLQ, sourceUrl: SOURCE });
    expect(parseRedriveArgs([DLQ, SOURCE, '25'])).toEqual({ dlqUrl: DLQ, sourceUrl: SOURCE, max: 25 });
    const localstack = 'http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/orders-dlq';
    const offline = 'http://sqs.us-east-1.127.0.0.1:41234/000000000000/orders.fifo';
    expect(parseRedriveArgs([localstack, offline]).sourceUrl).toBe(offline);
  });

  it.each([
    [[], /missing <dlq-url>/],
    [[DLQ], /missing <source-queue-url>/],
    [['arn:aws:sqs:eu-west-1:123456789012:ShopWave-PaymentsDlq', SOURCE], /<dlq-url> 'arn:aws:sqs:.*' is not an SQS queue URL/],
    [[DLQ, 'ShopWave-PaymentsQueue'], /<source-queue-url> 'ShopWave-PaymentsQueue' is not an SQS queue URL/],
    [[DLQ, 'https://sqs.eu-west-1.amazonaws.com/ShopWave-PaymentsQueue'], /<source-queue-url> .* is not an SQS queue URL/],
    [[DLQ, DLQ], /same queue/],
    [[DLQ, SOURCE, '0'], /\[max\] '0' is not a positive whole number/],
    [[DLQ, SOURCE, 'all'], /\[max\] 'all'/],
    [[DLQ, SOURCE, '5', 'extra'], /unexpected argument 'extra'/],
    [['--force', DLQ, SOURCE], /Unknown option '--force'/],
  ])('refuses %j naming what is wrong', (argv, message) => {
    expect(() => parseRedriveArgs(argv)).toThrow(message);
  });
});

describe('npx tsx scripts/redrive.ts', () => {
  const run = (...argv: string[]) =>
    spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/redrive.ts', ...argv], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('exits 2 with the reason and the usage for a bad argument, printing nothing on stdout', () => {
    for (const [argv, reason] of [
      [['--dry-run', DLQ, SOURCE], "Unknown option '--dry-run'"],
      [[DLQ, 'not-a-url'], "<source-queue-url> 'not-a-url' is not an SQS queue URL"],
      [[], 'missing <dlq-url>'],
    ] as const) {
      const res = run(...argv);
      expect(res.status, res.stderr).toBe(2);
      expect(res.stderr).toContain(reason);
      expect(res.stderr).toContain('usage: npx tsx scripts/redrive.ts');
      expect(res.stdout).toBe('');
    }
  });
});
