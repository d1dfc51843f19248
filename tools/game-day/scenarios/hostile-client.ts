import { DEMO } from '../../seed-data';
import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'hostile-client',
  seed: '002 (pentest), 004',
  title: 'A hostile client probes the API',
  breaks:
    "A client holding one customer's account probes for two metric minutes: missing, expired, forged and unsigned tokens, a forged merchant key, another customer's order, tracking and profile, SQL/NoSQL/script injection in paths and bodies, an oversized body, and floods of reads. Every request must be refused (401/403/404/400/413/429), no answer may carry the other customer's data, and nothing may be written.",
  inject: {
    load: {
      kind: 'hostile',
      attacker: DEMO.customers.bob,
      victim: DEMO.customers.alice,
      metricMinutes: 2,
      roundsPerMetricMinute: 3,
      floodRequests: 150,
    },
  },
  alarms: {
    expected: ['AuthFailureSurge'],
    falseLeads: ['Api5xxRate', 'ApiLatencyP99', 'OrdersApiErrors', 'LostOrders', 'FlowGap', 'OrderDemandAboveCapacity'],
  },
  customerEffect: { what: 'none: the probes are refused; ordinary customers keep ordering', signal: 'orders-delayed' },
  runbook: 'docs/runbooks/auth-failure-surge.md',
  mitigation: {
    summary:
      "Nothing was breached: the refusals held. Identify the client from the access log (source IP, the customer id of its own token), block it (WAF rule on AWS) and revoke the account's sessions.",
    commands: ['npm run game-day -- clear'],
  },
  traffic: { ordersPerMetricMinute: 4 },
  postmortem: {
    rootCause: 'A hostile client (a penetration test) probing authentication, authorisation and input validation.',
    trigger: "Game-day load hostile-client: token probing, other customers' ids, injection strings and floods.",
    actionItems: [
      'Block by source on AWS (WAF rate-based rule); offline and on LocalStack only the stage throttle bounds a flood.',
      'Alarm on the 4xx share of requests, not only on auth failures: IDOR and injection probes answer 404/400.',
      "Revoke the attacker's customer sessions from the runbook (Cognito AdminUserGlobalSignOut).",
    ],
    lessons: [
      'An alarm on authentication failures sees token probing; probing with a valid token (other ids, injection) shows only as 4xx on the dashboard.',
      "Answering someone else's order exactly like a missing one (404) leaks nothing, not even that the id exists.",
    ],
  },
  customerMessage:
    'Someone tried to get into customer accounts; every attempt was refused and no customer data was exposed. No action is needed from customers.',
});
