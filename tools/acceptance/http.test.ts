/** The acceptance suite's waits are bounded in time and in attempts, and say what they waited for. */
import { describe, expect, it } from 'vitest';
import { poll } from './http';
import { cliReason } from './target';

describe('poll', () => {
  it('returns the first defined value', async () => {
    let calls = 0;
    expect(await poll(async () => (++calls === 3 ? 'done' : undefined), { timeoutMs: 1000, intervalMs: 10, description: 'x' })).toBe(
      'done',
    );
    expect(calls).toBe(3);
  });

  it('gives up within its time and attempts, naming what it waited for and the last state', async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      poll(async () => void calls++, { timeoutMs: 200, intervalMs: 50, description: 'the thing', last: () => `calls ${calls}` }),
    ).rejects.toThrow(/^timed out after 0 s waiting for the thing: calls \d+$/);
    expect(Date.now() - started).toBeLessThan(600);
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('stops at once when the probe throws', async () => {
    let calls = 0;
    await expect(
      poll(
        async () => {
          calls++;
          throw new Error('ended CANCELLED');
        },
        { timeoutMs: 10_000, intervalMs: 10, description: 'x' },
      ),
    ).rejects.toThrow('ended CANCELLED');
    expect(calls).toBe(1);
  });
});

describe('cliReason', () => {
  it("names the CLI's error, not Node's version line", () => {
    const stderr =
      'file.js:593\n  throw new Error("Region is missing");\n\nError: Region is missing\n    at x (y.js:1:1)\n\nNode.js v20.20.2\n';
    expect(cliReason({ code: 1, stdout: '', stderr })).toBe('exit 1: Error: Region is missing');
    expect(cliReason({ code: 2, stdout: '', stderr: 'usage: npm run token -- <customerId>\n' })).toBe(
      'exit 2: usage: npm run token -- <customerId>',
    );
  });
});
