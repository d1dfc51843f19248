/**
 * The bench's arithmetic, kept apart so it is tested (test/bench-stats.test.ts): percentiles of samples and the
 * side-by-side comparison of two results files (`npm run bench -- --compare <earlier>`).
 */

/**
 * The p-th percentile (0–100) of ascending `sorted` samples, linearly interpolated between the two nearest ranks
 * (Hyndman & Fan type 7: numpy's and Excel PERCENTILE.INC's default); null for no samples. The former
 * `sorted[floor(p/100 × n)]` made p95 of 20 samples the maximum and p50 of an even count the upper middle.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is not within 0–100`);
  const h = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The median of unsorted samples (null for none). */
export function median(samples: readonly number[]): number | null {
  return percentile(
    [...samples].sort((a, b) => a - b),
    50,
  );
}

/** Fields that name a row of a table in a results file (`functions: [{ function: 'OrdersApi…', … }]`). */
const ROW_KEYS = ['function', 'package', 'name', 'label'];

/**
 * Every number in a results document by its path (`functions.OrdersApi48294D44.bundleKB`, `endToEnd.p95Ms`). Rows
 * of a table are keyed by their name field, so a function added or removed moves no other row; arrays of plain
 * numbers (raw samples) are not metrics and are left out.
 */
export function numericLeaves(doc: unknown, prefix = ''): Map<string, number> {
  const out = new Map<string, number>();
  const visit = (value: unknown, at: string) => {
    if (typeof value === 'number' && Number.isFinite(value)) out.set(at, value);
    else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item === null || typeof item !== 'object') return;
        const key = ROW_KEYS.map((k) => (item as Record<string, unknown>)[k]).find((v) => typeof v === 'string');
        visit(item, `${at}.${key ?? i}`);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, at ? `${at}.${k}` : k);
    }
  };
  visit(doc, prefix);
  return out;
}

export interface ComparisonRow {
  metric: string;
  before: number | null;
  after: number | null;
  /** after ÷ before: below 1 is smaller (faster, lighter) than before; null when either side is missing or 0. */
  ratio: number | null;
}

/** Two results documents side by side, one row per metric in either, in the later one's order. */
export function compareResults(before: unknown, after: unknown): ComparisonRow[] {
  const [b, a] = [numericLeaves(before), numericLeaves(after)];
  const metrics = [...new Set([...a.keys(), ...b.keys()])];
  return metrics.map((metric) => {
    const [x, y] = [b.get(metric) ?? null, a.get(metric) ?? null];
    return { metric, before: x, after: y, ratio: x !== null && y !== null && x !== 0 ? Number((y / x).toFixed(3)) : null };
  });
}
