/**
 * fail-dependency (seed 000, challenge 1): an API loses a dependency (a permission or a configuration). createApiHandler
 * runs each request inside `duringRoute`; while a matching fault is on, the AWS SDK middleware (../aws-clients.ts)
 * fails that request's SDK calls as a lost permission or missing configuration would, so the handler's own error
 * path answers the customer.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { faultsOf } from './config';
import { sdkError } from './sdk-error';

const current = new AsyncLocalStorage<{ route: string }>();

export function duringRoute<T>(route: string, run: () => Promise<T>): Promise<T> {
  return current.run({ route }, run);
}

/** The error this SDK call fails with, if the request's route lost its dependency. */
export function dependencyFailure(): Error | undefined {
  const route = current.getStore()?.route;
  if (!route) return undefined;
  const fault = faultsOf('fail-dependency').find((f) => f.routes.length === 0 || f.routes.includes(route));
  if (!fault) return undefined;
  return fault.error === 'AccessDeniedException'
    ? sdkError('AccessDeniedException', `User is not authorized to perform this action (game-day fault fail-dependency on ${route})`)
    : sdkError(
        'ResourceNotFoundException',
        `Requested resource not found: configuration missing (game-day fault fail-dependency on ${route})`,
      );
}
