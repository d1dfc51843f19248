/**
 * Raw-HTTP fuzz of the running offline platform (what `npm start` serves), over plain sockets so nothing a client
 * library would refuse to send is left out: garbage request lines, malformed percent-encoding and invalid UTF-8,
 * raw and NUL bytes in the path, query, headers and body, broken framing, huge headers, bodies over API Gateway's
 * 10 MB, slowloris connections and clients that vanish mid-request. Properties: no 5xx; every request that stays
 * connected gets a complete, well-formed HTTP response; and afterwards the platform still answers /health and takes
 * and delivers a real order. The seed is printed (FUZZ_SEED replays it); loopback only, every loop bounded.
 */
import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const RAW_RUNS = 3000;
const CONCURRENCY = 8;
/** Short slow-client limits, so slowloris connections are answered (408) in seconds. */
const LIMITS = { headersTimeoutMs: 2000, requestTimeoutMs: 4000 };
/** Longer than any limit the server applies: a request with no answer by then never gets one. */
const EXCHANGE_TIMEOUT_MS = 10_000;
const MB = 1024 * 1024;

let t: TestPlatform;
let port: number;
let token: string;
beforeAll(async () => {
  t = await startTestPlatform({ apiLimits: LIMITS });
  port = Number(new URL(t.platform.apiUrl).port);
  token = (await t.as('c-alice')).authorization;
});
afterAll(() => t?.stop());

// ---------------------------------------------------------------------------------------------------------------
// A strict reader of one HTTP/1.1 response: status line, header fields, then the body by content-length, chunked
// framing or connection close. 1xx interim responses (100 Continue) are skipped.

type Parsed =
  | { kind: 'complete'; status: number; headers: Record<string, string> }
  | { kind: 'incomplete' }
  | { kind: 'malformed'; why: string };
const STATUS_LINE = /^HTTP\/1\.[01] ([1-5]\d\d) [\t\x20-\x7e\x80-\xff]*$/;
const FIELD = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;

function parseResponse(buf: Buffer, ended: boolean, headRequest: boolean): Parsed {
  let offset = 0;
  for (let interim = 0; interim < 5; interim++) {
    const end = buf.indexOf('\r\n\r\n', offset);
    if (end < 0)
      return ended
        ? { kind: 'malformed', why: `no end of headers in ${JSON.stringify(buf.subarray(offset, offset + 200).toString('latin1'))}` }
        : { kind: 'incomplete' };
    const [statusLine, ...fields] = buf.subarray(offset, end).toString('latin1').split('\r\n');
    const status = STATUS_LINE.exec(statusLine);
    if (!status) return { kind: 'malformed', why: `status line ${JSON.stringify(statusLine)}` };
    const headers: Record<string, string> = {};
    for (const field of fields) {
      const m = FIELD.exec(field);
      if (!m) return { kind: 'malformed', why: `header field ${JSON.stringify(field)}` };
      headers[m[1].toLowerCase()] = m[2];
    }
    const code = Number(status[1]);
    let body = end + 4;
    if (code < 200) {
      offset = body;
      continue;
    }
    if (headRequest || code === 204 || code === 304) return { kind: 'complete', status: code, headers };
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', body);
        if (lineEnd < 0) return ended ? { kind: 'malformed', why: 'truncated chunk size' } : { kind: 'incomplete' };
        const size = parseInt(buf.subarray(body, lineEnd).toString('latin1'), 16);
        if (!Number.isInteger(size) || size < 0) return { kind: 'malformed', why: 'bad chunk size' };
        body = lineEnd + 2 + size + 2;
        if (buf.length < body) return ended ? { kind: 'malformed', why: 'truncated chunk' } : { kind: 'incomplete' };
        if (size === 0) return { kind: 'complete', status: code, headers };
      }
    }
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (!/^\d+$/.test(headers['content-length'])) return { kind: 'malformed', why: `content-length ${headers['content-length']}` };
      if (buf.length - body >= length) return { kind: 'complete', status: code, headers };
      return ended ? { kind: 'malformed', why: `body ${buf.length - body} of ${length} bytes` } : { kind: 'incomplete' };
    }
    return ended ? { kind: 'complete', status: code, headers } : { kind: 'incomplete' };
  }
  return { kind: 'malformed', why: 'more than 5 interim responses' };
}

// ---------------------------------------------------------------------------------------------------------------
// One exchange over a fresh socket: write the parts (bytes, pauses, or a body stream with backpressure), read until a
// complete response, the end of the connection or the timeout. `abortAfterMs` destroys the socket mid-request.

type Part = Buffer | { pauseMs: number } | { stream: number; chunked?: boolean };
interface Outcome {
  parsed: Parsed;
  ms: number;
  error?: string;
  timedOut: boolean;
}

function exchange(parts: Part[], options: { head?: boolean; abortAfterMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let finished = false;
    let error: string | undefined;
    const finish = (ended: boolean, timedOut = false) => {
      if (finished) return;
      const parsed = parseResponse(Buffer.concat(chunks), ended, options.head ?? false);
      if (!ended && parsed.kind === 'incomplete' && !timedOut) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ parsed, ms: Date.now() - started, error, timedOut });
    };
    const timer = setTimeout(() => finish(true, true), EXCHANGE_TIMEOUT_MS);
    socket.on('data', (d) => {
      chunks.push(d);
      finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    if (options.abortAfterMs !== undefined) setTimeout(() => socket.destroy(), options.abortAfterMs);
    const write = (b: Buffer) => new Promise<void>((done) => (socket.write(b) ? done() : socket.once('drain', done)));
    socket.once('connect', async () => {
      for (const part of parts) {
        if (finished || socket.destroyed) return;
        if (Buffer.isBuffer(part)) await write(part);
        else if ('pauseMs' in part) await new Promise((r) => setTimeout(r, part.pauseMs));
        else {
          // A big body in 64 KB pieces, stopped as soon as the server has answered or gone.
          const piece = Buffer.alloc(64 * 1024, 'a');
          for (let sent = 0; sent < part.stream && !finished && !socket.destroyed; sent += piece.length) {
            await write(
              part.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece,
            );
          }
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Generated requests.

/** The bytes of a request: chars up to U+00FF are one byte each (raw bytes on purpose), others UTF-8, as a client sends them. */
const latin1 = (s: string) =>
  Buffer.from([...s].flatMap((ch) => (ch.length === 1 && ch.charCodeAt(0) <= 0xff ? [ch.charCodeAt(0)] : [...Buffer.from(ch, 'utf8')])));
const utf8AsBytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const ROUTES = [
  '/health',
  '/ready',
  '/products',
  '/products/p-margherita',
  '/merchants',
  '/orders',
  '/orders/o-1',
  '/orders/o-1/tracking',
  '/customers/c-alice',
  '/merchants/m-pizza/orders',
  '/merchants/m-pizza/orders/o-1/acknowledge',
  '/ops',
  '/ops/api/state',
  '/ops/api/faults',
  '/nowhere',
  '/',
];
/** Keys a plain-object lookup resolves to Object.prototype (`?constructor=x` once answered 502, seed 890809577). */
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
/** Escapes that do not decode (bad percent-encoding, invalid UTF-8, overlong, surrogates, NUL) and traversal. */
const badEscape = fc.oneof(
  fc.constantFrom(
    '%',
    '%E0%A4%A',
    '%C3%28',
    '%FF',
    '%00',
    '%2F',
    '%%',
    '%zz',
    '%u0041',
    '%F0%9F%98',
    '%ED%A0%80',
    '%C0%AF',
    '..',
    '.',
    '',
    'p-margherita%00',
    '%E2%80%AE',
    // Names of Object.prototype members: a parameter map built on a plain object would find the prototype's.
    ...PROTOTYPE_NAMES,
  ),
  fc.stringMatching(/^[A-Za-z0-9_%-]{1,12}$/),
);
/** Raw bytes where the grammar allows none: controls, NUL, space, bytes over 0x7F, invalid UTF-8. */
const rawBytes = fc.oneof(
  fc.constantFrom(' ', '\u0000', '\t', '\xff\xfe', '\xc3\x28', '\x80', utf8AsBytes('é😀')),
  fc.string({ unit: 'binary', maxLength: 20 }).map(utf8AsBytes),
  fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString('latin1')),
);
const badText = fc.oneof(
  { weight: 4, arbitrary: badEscape },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: rawBytes },
);
const path = fc
  .tuple(
    fc.constantFrom(...ROUTES),
    fc.oneof(
      fc.constant([]),
      fc.array(fc.tuple(fc.nat(), fc.oneof(badText, fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/))), { minLength: 1, maxLength: 2 }),
    ),
    fc.option(
      fc.array(fc.tuple(badEscape, fc.oneof({ weight: 5, arbitrary: badEscape }, { weight: 1, arbitrary: badText })), { maxLength: 3 }),
      { nil: undefined },
    ),
  )
  .map(([route, mutations, query]) => {
    const segments = route.split('/');
    for (const [i, text] of mutations) segments[1 + (i % Math.max(1, segments.length - 1))] = text;
    return segments.join('/') + (query ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : '');
  });
const target = fc.oneof(
  { weight: 8, arbitrary: path },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '*',
      '//',
      '///',
      'http://localhost/products',
      'http://[',
      'products',
      '',
      `/${'a'.repeat(20_000)}`,
      `/products/${'%41'.repeat(3000)}`,
    ),
  },
);
const method = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'),
  },
  { weight: 1, arbitrary: fc.constantFrom('get', 'G ET', 'CONNECT', 'TRACE', 'PRI', 'X'.repeat(100), '') },
);
const version = fc.oneof(
  { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
  { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', 'http/1.1', '') },
);
const headerName = fc.oneof(
  {
    weight: 19,
    arbitrary: fc.oneof(
      fc.constantFrom('x-correlation-id', 'content-type', 'idempotency-key', 'x-api-key', 'user-agent', 'accept', 'x-forwarded-proto'),
      fc.constantFrom(...PROTOTYPE_NAMES.map((n) => n.toLowerCase())),
      fc.stringMatching(/^[a-z-]{1,20}$/),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('a b', 'x\u0000', ':', '', 'é', 'x\r') },
);
const headerValue = fc.oneof(
  // obs-text (bytes over 0x7F) is legal in a field value: these reach the functions.
  {
    weight: 16,
    arbitrary: fc.oneof(
      badEscape,
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the control bytes a valid header value cannot hold
      fc.string({ maxLength: 40 }).map((v) => v.replace(/[\x00-\x1f\x7f]/g, '')),
      fc.constantFrom('\xff\xfe', utf8AsBytes('é😀'), `Bearer ${'x'.repeat(300)}`),
    ),
  },
  { weight: 1, arbitrary: fc.oneof(rawBytes, fc.constantFrom('\r', '\n folded', 'a\u0000b', 'x'.repeat(20_000))) },
);
const body = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '{"merchantId":"m-pizza","items":[{"productId":"p-margherita","quantity":1}]}',
    '{"items": [',
    'null',
    '\u0000',
    '\xc3\x28',
    '\xff\xfe\x00{',
  ),
  fc.json().map(utf8AsBytes),
  fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b).toString('latin1')),
);
/** How the body is framed: right, chunked (right or broken), or with a content-length that lies or cannot parse. */
const framing = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('length', 'length', 'length', 'chunked', 'none') },
  { weight: 1, arbitrary: fc.constantFrom('bad-chunked', 'short-length', 'garbage-length', 'two-lengths') },
);

const request = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      method,
      target,
      version,
      host: fc.oneof({ weight: 9, arbitrary: fc.constant('localhost') }, { weight: 1, arbitrary: fc.option(badText, { nil: undefined }) }),
      auth: fc.constantFrom('token', 'none', 'garbage'),
      contentType: fc.option(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/octet-stream',
          'multipart/form-data; boundary=x',
          '\xff',
        ),
        { nil: undefined },
      ),
      extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
      body,
      framing,
      lineEnd: fc.oneof({ weight: 9, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constant('\n') }),
    }),
  },
  // Not HTTP at all.
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((b) => ({ raw: Buffer.concat([Buffer.from(b), latin1('\r\n\r\n')]) })),
  },
);
type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

function render(r: Generated): { bytes: Buffer; head: boolean } {
  if ('raw' in r) return { bytes: r.raw, head: false };
  const nl = r.lineEnd;
  const lines = [`${r.method} ${r.target} ${r.version}`.trimEnd()];
  if (r.host !== undefined) lines.push(`Host: ${r.host}`);
  if (r.auth === 'token') lines.push(`Authorization: ${token}`);
  if (r.auth === 'garbage') lines.push('Authorization: Bearer a.b.c');
  if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
  for (const [k, v] of r.extra) lines.push(`${k}: ${v}`);
  lines.push('Connection: close');
  const payload = latin1(r.body);
  let framed: Buffer = payload;
  if (r.framing === 'length') lines.push(`Content-Length: ${payload.length}`);
  if (r.framing === 'short-length') lines.push(`Content-Length: ${Math.floor(payload.length / 2)}`);
  if (r.framing === 'garbage-length') lines.push('Content-Length: 12abc');
  if (r.framing === 'two-lengths') lines.push(`Content-Length: ${payload.length}`, `Content-Length: ${payload.length + 1}`);
  if (r.framing === 'chunked' || r.framing === 'bad-chunked') {
    lines.push('Transfer-Encoding: chunked');
    framed =
      r.framing === 'chunked'
        ? Buffer.concat([latin1(`${payload.length.toString(16)}\r\n`), payload, latin1(payload.length ? '\r\n0\r\n\r\n' : '\r\n')])
        : Buffer.concat([latin1('zz\r\n'), payload]);
  }
  if (r.framing === 'none') framed = Buffer.alloc(0);
  return { bytes: Buffer.concat([latin1(lines.join(nl) + nl + nl), framed]), head: r.method === 'HEAD' };
}

// ---------------------------------------------------------------------------------------------------------------

const histogram = new Map<string, number>();
const count = (key: string | number) => histogram.set(String(key), (histogram.get(String(key)) ?? 0) + 1);
let sent = 0;

/** Every request gets a complete, well-formed answer that is not a 5xx. */
function expectAnswered(outcome: Outcome, what: string): number {
  sent++;
  if (outcome.parsed.kind !== 'complete') {
    count(outcome.parsed.kind);
    expect.fail(
      `${what}: ${outcome.parsed.kind === 'malformed' ? `malformed response: ${outcome.parsed.why}` : 'no answer'} after ${outcome.ms} ms${outcome.timedOut ? ' (timed out)' : ''}${outcome.error ? ` (${outcome.error})` : ''}`,
    );
  }
  // A function's answer carries its correlation id; API Gateway's own (and Node's parser refusals) do not.
  count(`${outcome.parsed.status}${outcome.parsed.headers['x-correlation-id'] ? '' : ' gateway'}`);
  expect(outcome.parsed.status, what).toBeLessThan(500);
  return outcome.parsed.status;
}

async function pool<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await run(items[next++]);
    }),
  );
}

describe('raw HTTP fuzz of the offline platform', () => {
  it(`answers ${RAW_RUNS} generated raw requests, oversized, slow and vanishing clients without a 5xx, and keeps serving`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    console.log(`raw HTTP fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)`);
    const requests = fc.sample(request, { numRuns: RAW_RUNS, seed });
    await pool(requests, async (r) => {
      const { bytes, head } = render(r);
      expectAnswered(await exchange([bytes], { head }), `seed ${seed}: ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))}`);
    });

    // Query keys and header names that are Object.prototype members, on every route: always, whatever the seed.
    for (const route of ROUTES)
      for (const name of PROTOTYPE_NAMES) {
        const raw = `GET ${route}?${name}=x&${name}=y HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${token}\r\n${name}: z\r\nConnection: close\r\n\r\n`;
        expectAnswered(await exchange([latin1(raw)]), JSON.stringify(raw));
      }

    // Headers over Node's 16 KB: one huge field, and many ordinary ones.
    const big = await exchange([latin1(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)]);
    expect(expectAnswered(big, 'one 20 KB header')).toBe(431);
    const many = Array.from({ length: 300 }, (_, i) => `X-H${i}: ${'b'.repeat(80)}\r\n`).join('');
    expect(expectAnswered(await exchange([latin1(`GET /health HTTP/1.1\r\nHost: localhost\r\n${many}\r\n`)]), '300 headers')).toBe(431);

    // Bodies over 10 MB: refused as soon as the limit is passed, not after the upload.
    const over = 10 * MB + 1;
    const declared = await exchange([
      latin1(`POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${over}\r\n\r\n`),
      { stream: over },
    ]);
    expect(expectAnswered(declared, 'content-length over 10 MB')).toBe(413);
    expect(declared.parsed.kind === 'complete' ? declared.parsed.headers : {}).toMatchObject({
      connection: 'close',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    const streamed = await exchange([
      latin1('POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'),
      { stream: 11 * MB, chunked: true },
    ]);
    expect(expectAnswered(streamed, 'chunked body past 10 MB')).toBe(413);
    const expecting = await exchange([
      latin1(`POST /orders HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: ${20 * MB}\r\n\r\n`),
    ]);
    expect(expectAnswered(expecting, 'Expect: 100-continue with 20 MB')).toBe(413);

    // Slowloris, a handful and bounded: headers one byte at a time, and a body that never completes.
    const drip = (text: string, everyMs: number) => [...latin1(text)].flatMap((b) => [Buffer.from([b]), { pauseMs: everyMs }]);
    const slow = await Promise.all([
      ...Array.from({ length: 4 }, () => exchange(drip(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'z'.repeat(100)}`, 100))),
      ...Array.from({ length: 2 }, () =>
        exchange([
          latin1('POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n'),
          ...drip('{'.repeat(200), 100),
        ]),
      ),
    ]);
    for (const [i, s] of slow.entries()) {
      expect(expectAnswered(s, `slow client ${i}`)).toBe(408);
      expect(s.ms, `slow client ${i} answered within its limit`).toBeLessThan(
        (i < 4 ? LIMITS.headersTimeoutMs : LIMITS.requestTimeoutMs) + 4000,
      ); // checked every second, on a busy machine
    }

    // Clients that vanish: mid-headers, mid-body, and right after sending a whole request (the answer has nowhere to go).
    const vanishing = Array.from({ length: 60 }, (_, i) => {
      const parts: Part[][] = [
        [latin1('GET /products HTTP/1.1\r\nHost: local')],
        [
          latin1(
            `POST /orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${token}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"merchantId":`,
          ),
        ],
        [latin1('GET /products/p-margherita HTTP/1.1\r\nHost: localhost\r\n\r\n')],
        [latin1('POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20000000\r\n\r\n'), { stream: 2 * MB }],
      ];
      return exchange(parts[i % parts.length], { abortAfterMs: i % 7 });
    });
    const gone = await Promise.all(vanishing);
    for (const g of gone) if (g.parsed.kind === 'complete') expect(g.parsed.status).toBeLessThan(500);

    console.log(
      `raw HTTP fuzz: ${sent} requests answered (plus ${gone.length} vanishing clients), statuses ${JSON.stringify(Object.fromEntries([...histogram].sort()))}`,
    );

    // Still serving: health, and a real authenticated order all the way to DELIVERED.
    expect((await fetch(`${t.platform.apiUrl}/health`)).status).toBe(200);
    let placed: Awaited<ReturnType<TestPlatform['placeOrder']>> | undefined;
    const until = Date.now() + 20_000;
    do {
      placed = await t.placeOrder('c-alice', 'm-pizza', [{ productId: 'p-margherita', quantity: 1 }]);
      if (placed.status === 429) await new Promise((r) => setTimeout(r, 500)); // the fuzz may have spent the burst
    } while (placed.status === 429 && Date.now() < until);
    expect(placed.status, JSON.stringify(placed.body)).toBe(202);
    await t.waitForStatus(placed.body.orderId, 'DELIVERED');
  }, 300_000);
});
