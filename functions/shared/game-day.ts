/**
 * Faults a game day switches on (docs/game-days/): each reproduces one seed incident inside the real code path,
 * so detection, dashboards and runbooks are practised against the same signals a real incident would give.
 * A function reads `SHOPWAVE_FAULTS` (comma-separated names) at each invocation; unset in normal operation.
 * On AWS the game-day script sets it on one function's configuration; offline `npm start -- --fault <name>`.
 */
export const FAULTS = {
  /** Seed 001: the restaurant consumer takes order.paid off its queue and never puts the order on the tablet. */
  'restaurant-drops-orders': 'RestaurantConsumer acknowledges order.paid without delivering it to the tablet',
} as const;
export type Fault = keyof typeof FAULTS;
/** The variable that carries the faults switched on (comma-separated names). */
export const FAULTS_ENV = 'SHOPWAVE_FAULTS';

export function faultActive(fault: Fault): boolean {
  return (process.env[FAULTS_ENV] ?? '')
    .split(',')
    .map((f) => f.trim())
    .includes(fault);
}
