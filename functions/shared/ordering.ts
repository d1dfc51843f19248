/**
 * Reads the ordering switch at request time: Powertools parameters (SSM) with a 5 s cache, so a flip takes effect
 * within seconds, without a deploy, and the parameter is read at most once per 5 s per environment.
 * Unreadable or malformed (SSM down, a typo in a manual edit): ordering stays open and the failure is logged and
 * counted — closing every order because the switch cannot be read would turn a config error into an outage.
 */
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { requireEnv } from './env';
import { ORDERING_OPEN, OrderingStateSchema, type OrderingState } from './ordering-state';
import { logger, metrics, MetricUnit } from './powertools';

export const ORDERING_CACHE_SECONDS = 5;

export async function orderingState(): Promise<OrderingState> {
  let name = '(ORDERING_PARAMETER_NAME unset)';
  try {
    name = requireEnv('ORDERING_PARAMETER_NAME');
    const parsed = OrderingStateSchema.safeParse(await getParameter(name, { maxAge: ORDERING_CACHE_SECONDS, transform: 'json' }));
    if (parsed.success) return parsed.data;
    logger.error('ordering switch is malformed; ordering stays open', { parameter: name, issues: parsed.error.issues });
  } catch (err) {
    logger.error('ordering switch is unreadable; ordering stays open', { parameter: name, error: err as Error });
  }
  metrics.addMetric('OrderingSwitchUnreadable', MetricUnit.Count, 1);
  return ORDERING_OPEN;
}
