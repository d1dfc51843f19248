import { defineScenario } from '../scenario';

export default defineScenario({
  name: 'consumer-crashloop',
  seed: '004 (crashloop)',
  title: 'A consumer fails at initialisation',
  breaks:
    'NotificationsConsumer throws while initialising (the serverless form of a pod in crashloop): every invocation fails, messages are retried and, after maxReceiveCount, parked in its DLQ.',
  inject: {
    functions: { NotificationsConsumer: [{ mode: 'crash-on-init', message: 'notifications: template store unreachable at init' }] },
  },
  alarms: {
    expected: ['NotificationsConsumerErrors'],
    mayFire: ['NotificationsConsumerDeadLetters', 'NotificationsConsumerBacklog'],
    falseLeads: ['LostOrders', 'Api5xxRate', 'OrdersSagaErrors'],
  },
  customerEffect: { what: 'order notifications (e-mails, push) stop; orders themselves go through', signal: 'orders-delayed' },
  runbook: 'docs/runbooks/lambda-errors.md',
  mitigation: {
    summary: 'Roll back the broken configuration; redrive the parked notifications from the DLQ.',
    commands: ['npm run game-day -- clear', 'POST /ops/api/dlq/<NotificationsConsumer DLQ>/redrive (or tools/redrive.ts on AWS)'],
    redrive: ['NotificationsConsumer'],
  },
  traffic: { ordersPerMetricMinute: 5 },
  postmortem: {
    rootCause: 'The notifications consumer failed during initialisation on every cold start.',
    trigger: 'A configuration change on NotificationsConsumer (game-day fault crash-on-init).',
    actionItems: ['Roll out function configuration gradually (aliases, CodeDeploy) with the Errors alarm as a rollback trigger.'],
    lessons: ['DLQs keep a crashloop from losing messages; the redrive after the fix is part of the mitigation.'],
  },
  customerMessage: 'Order confirmations and updates were delayed; orders were not affected. The delayed messages have been sent.',
});
