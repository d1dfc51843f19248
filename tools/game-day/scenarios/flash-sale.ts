import { DEMO } from '../../seed-data';
import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'flash-sale',
  seed: '002 (flash sale)',
  title: 'A flash sale: ten times the stock ordered within seconds',
  breaks:
    'Nothing breaks: demand does. 100 single-unit orders for a product with 10 units in stock arrive within 1 second. POST /orders throttles beyond its burst (429), inventory reserves exactly the 10 units and refuses the rest out of stock; no unit is sold twice.',
  inject: {
    load: {
      kind: 'flash-sale',
      merchantId: DEMO.merchants.burger,
      productId: DEMO.flashSaleProduct,
      stock: 10,
      demandMultiple: 10,
      withinSeconds: 1,
      customers: [DEMO.customers.alice, DEMO.customers.bob],
    },
  },
  alarms: {
    expected: ['StockRejectionSurge'],
    // A flash sale is also demand above capacity for the minute it lasts: true, not a false lead.
    mayFire: ['OrderDemandAboveCapacity'],
    // Test speed only: ~70 accepted orders within a second queue behind each other in the offline relay and
    // consumers for longer than the 10 s SLI deadline of the test template (120 s at demo speed).
    mayFireAtTestSpeed: ['LostOrders', 'OldestAwaitingOrder', 'FlowGap', 'OrdersPilingUp', 'DeliverySloFastBurn', 'DeliverySloSlowBurn'],
    falseLeads: ['Api5xxRate', 'ApiLatencyP99', 'LostOrders', 'FlowGap', 'OrdersPilingUp', 'InventoryConsumerErrors', 'AuthFailureSurge'],
    why: 'a sale is not a fault: the business alarm on stock rejections is the signal; delivery alarms at demo speed would be a real problem',
  },
  customerEffect: { what: 'most customers of the sale are refused: throttled (429) or told the deal is sold out', signal: 'api-errors' },
  runbook: 'docs/runbooks/stock-rejection-surge.md',
  mitigation: {
    summary:
      'Nothing to repair: the stock held. Mark the deal sold out on the storefront so customers stop trying, and tell them; the orders refused out of stock were never charged.',
    commands: ['npm run game-day -- clear'],
  },
  traffic: { ordersPerMetricMinute: 4 },
  postmortem: {
    rootCause: 'Demand of ten times the stock of one product within seconds (a flash sale), not a fault.',
    trigger: 'A flash sale (game-day load flash-sale: 100 orders for 10 units in 1 second).',
    actionItems: [
      'Show "sold out" on the storefront as soon as stock reaches zero, so customers stop sending orders that can only be refused.',
      'Tell the customers the throttle refused (429) that the deal was oversubscribed, and alarm on throttled requests a minute.',
      'Give a planned sale its own throttle or a queue (virtual waiting room) instead of the route-wide 20 rps.',
    ],
    lessons: [
      'Conditional stock decrements in one transaction per order do not oversell, however many orders race for the last unit.',
      'API throttling protected the platform but refused paying customers before inventory could tell them "sold out".',
    ],
  },
  customerMessage:
    'The deal sold out within seconds. Customers whose order went through get it; everyone else was refused before paying and was not charged.',
});
