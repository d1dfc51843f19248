/**
 * Runs the acceptance checks one after the other, printing one line per check as it finishes (PASS or FAIL, its
 * duration, the detail or the reason), and says whether all passed. A failed check never stops the others.
 */
import { type Check, CHECKS } from './checks';
import type { AcceptanceContext } from './target';

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  detail?: string;
}

export const formatResult = (r: CheckResult) =>
  `${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.ms < 1000 ? `${r.ms} ms` : `${(r.ms / 1000).toFixed(1)} s`})${r.detail ? `: ${r.detail}` : ''}`;

export async function runAcceptance(
  ctx: AcceptanceContext,
  opts: { sli: boolean; only?: string[]; print?: (line: string) => void; checks?: Check[] },
): Promise<CheckResult[]> {
  const print = opts.print ?? ((line: string) => console.log(line));
  const selected = (opts.checks ?? CHECKS).filter((c) => (opts.sli || !c.sli) && (!opts.only || opts.only.includes(c.name)));
  const results: CheckResult[] = [];
  for (const check of selected) {
    const started = Date.now();
    let result: CheckResult;
    try {
      const detail = await check.run(ctx);
      result = { name: check.name, ok: true, ms: Date.now() - started, detail };
    } catch (err) {
      const e = err as Error;
      // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a certificate, a DNS name).
      const cause = (e.cause as Error | undefined)?.message;
      const reason = e.name === 'TimeoutError' ? `a request timed out (${e.message})` : cause ? `${e.message}: ${cause}` : e.message;
      result = { name: check.name, ok: false, ms: Date.now() - started, detail: reason.replace(/\s+/g, ' ').slice(0, 500) };
    }
    results.push(result);
    print(formatResult(result));
  }
  return results;
}
