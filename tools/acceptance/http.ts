/**
 * The acceptance suite's HTTP client: fetch against the one API under test, every request with a timeout, and a
 * poll helper bounded in both time and attempts (no unbounded loop anywhere in the suite).
 */
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Http {
  readonly base: string;
  request<T = any>(
    method: string,
    path: string,
    opts?: { body?: unknown; token?: string; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<Reply<T>>;
}

/** `base` with or without a trailing slash (a stack's ApiUrl has one); paths start with '/'. */
export function httpClient(base: string, defaultTimeoutMs = 15_000): Http {
  const root = base.replace(/\/+$/, '');
  return {
    base: root,
    async request(method, path, opts = {}) {
      const res = await fetch(`${root}${path}`, {
        method,
        headers: {
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          'x-correlation-id': `acceptance-${Date.now().toString(36)}`,
          ...opts.headers,
        },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? defaultTimeoutMs),
        redirect: 'manual',
      });
      const text = await res.text();
      let body: any = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body, headers: res.headers };
    },
  };
}

/**
 * Calls `probe` until it returns a value other than undefined, at most `attempts` times and for at most `timeoutMs`;
 * throws `Error(timed out …: <last>)` otherwise. `probe` may throw to stop at once (e.g. an order ended otherwise).
 */
export async function poll<T>(
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs: number; description: string; last?: () => string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const attempts = Math.max(1, Math.ceil(opts.timeoutMs / opts.intervalMs) + 1);
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + opts.intervalMs > deadline) break;
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
  throw new Error(
    `timed out after ${(opts.timeoutMs / 1000).toFixed(0)} s waiting for ${opts.description}${opts.last ? `: ${opts.last()}` : ''}`,
  );
}
