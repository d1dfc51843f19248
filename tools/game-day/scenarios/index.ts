/**
 * Every game-day scenario, by name. One module per scenario (the shape is ../scenario.ts's `Scenario`):
 *   name, seed, title, breaks          what it reproduces
 *   inject.functions / inject.rules    how it is injected, by watch name, the same on every target
 *   inject.load                        or injected traffic (flash sale, hostile client, rush): tools/game-day/load.ts
 *   alarms.expected / mayFire / falseLeads
 *   customerEffect, runbook, mitigation (commands; DLQs to redrive), traffic, postmortem, customerMessage
 * To add one: copy a module, change the data, add it to the list below. `npm run game-day -- list` shows them.
 */
import type { Scenario } from '../scenario';
import chargedButResponseLost from './charged-but-response-lost';
import consumerCrashloop from './consumer-crashloop';
import datastoreFailing from './datastore-failing';
import dinnerRush from './dinner-rush';
import eventChaos from './event-chaos';
import flashSale from './flash-sale';
import hostileClient from './hostile-client';
import orderPlacementFails from './order-placement-fails';
import paidOrdersRoutedNowhere from './paid-orders-routed-nowhere';
import paymentProviderGremlin from './payment-provider-gremlin';
import paymentProviderOutage from './payment-provider-outage';
import restaurantDropsOrders from './restaurant-drops-orders';
import trackingStopsReachingAnalytics from './tracking-stops-reaching-analytics';

export const SCENARIOS: readonly Scenario[] = [
  restaurantDropsOrders,
  paidOrdersRoutedNowhere,
  orderPlacementFails,
  consumerCrashloop,
  datastoreFailing,
  trackingStopsReachingAnalytics,
  eventChaos,
  paymentProviderGremlin,
  paymentProviderOutage,
  chargedButResponseLost,
  flashSale,
  hostileClient,
  dinnerRush,
];

export function scenarioNamed(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown scenario '${name}'; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
}
