/**
 * Steady demo traffic for game days and the /ops page: places orders through the public API at a fixed rate,
 * rotating over the demo customers and the merchants whose tablets behave (tools/seed-data.ts).
 */
import { DEMO } from '../../tools/seed-data';

const ORDERS = [
  { customerId: 'c-alice', merchantId: 'm-pizza', productId: DEMO.products.pizza },
  { customerId: 'c-bob', merchantId: 'm-sushi', productId: DEMO.products.sushi },
  { customerId: 'c-alice', merchantId: 'm-burger', productId: DEMO.products.burger },
  { customerId: 'c-bob', merchantId: 'm-pizza', productId: 'p-diavola' },
];

export interface Traffic {
  placed: { orderId: string; correlationId: string; at: number }[];
  failed: number;
  /** Each refused or failed placement: when, whose, the HTTP status (0: no answer). */
  failures: { at: number; customerId: string; status: number }[];
  stop(): void;
}

/**
 * `perMinute` orders every `minuteMs` (60 000 in real time; less when time is accelerated), each as its customer:
 * `sign` gives that customer's bearer token (the development issuer's).
 */
export function startTraffic(
  apiUrl: string,
  perMinute: number,
  opts: { minuteMs?: number; sign: (customerId: string) => Promise<string> },
): Traffic {
  const minuteMs = opts.minuteMs ?? 60_000;
  // Tokens live an hour: sign a fresh one every 30 minutes so long game days keep ordering.
  const tokens = new Map<string, { at: number; token: Promise<string> }>();
  const tokenOf = (customerId: string) => {
    const cached = tokens.get(customerId);
    if (cached && Date.now() - cached.at < 30 * 60_000) return cached.token;
    const token = opts.sign(customerId);
    tokens.set(customerId, { at: Date.now(), token });
    return token;
  };
  const traffic: Traffic = { placed: [], failed: 0, failures: [], stop: () => clearInterval(timer) };
  let n = 0;
  const timer = setInterval(async () => {
    const o = ORDERS[n % ORDERS.length];
    const correlationId = `traffic-${Date.now().toString(36)}-${n++}`;
    const at = Date.now();
    try {
      const res = await fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-correlation-id': correlationId,
          authorization: `Bearer ${await tokenOf(o.customerId)}`,
        },
        body: JSON.stringify({ merchantId: o.merchantId, items: [{ productId: o.productId, quantity: 1 }] }),
      });
      if (res.status === 202) traffic.placed.push({ orderId: ((await res.json()) as { orderId: string }).orderId, correlationId, at });
      else {
        traffic.failed++;
        traffic.failures.push({ at, customerId: o.customerId, status: res.status });
      }
    } catch {
      traffic.failed++;
      traffic.failures.push({ at, customerId: o.customerId, status: 0 });
    }
  }, minuteMs / perMinute);
  return traffic;
}
