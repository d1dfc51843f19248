/**
 * The one place a function learns which game-day faults are on: `SHOPWAVE_FAULTS`, a JSON list of
 * `{ "mode": ..., ...params }` validated against the registered modes (./index.ts). Read at every use, so a changed
 * environment (UpdateFunctionConfiguration, the offline platform's switch) takes effect on the next environment.
 * Fails closed: a configuration that does not parse or validate throws FaultConfigError wherever a hook reads it,
 * so the invocation fails loudly (errors, alarms) instead of running as if nothing were injected.
 */
import * as z from 'zod';

export const FAULTS_ENV = 'SHOPWAVE_FAULTS';

export class FaultConfigError extends Error {
  override name = 'FaultConfigError';
}

/** A share of calls in [0, 1]: 1 = every call. */
export const Share = z.number().min(0).max(1).default(1);
/** Every Nth call of this execution environment (1 = every call). */
export const EveryNth = z.number().int().min(1).max(1000).default(1);

export const DropEvents = z.strictObject({
  mode: z.literal('drop-events'),
  /** The detail-types acknowledged without being handled; empty = all. */
  detailTypes: z.array(z.string().min(1)).max(50).default([]),
});
export const CrashOnInit = z.strictObject({ mode: z.literal('crash-on-init'), message: z.string().max(200).optional() });
export const FailDependency = z.strictObject({
  mode: z.literal('fail-dependency'),
  /** API routes ('POST /orders') whose AWS SDK calls fail; empty = every route. */
  routes: z
    .array(z.string().regex(/^[A-Z]+ \//))
    .max(50)
    .default([]),
  error: z.enum(['AccessDeniedException', 'MissingConfiguration']).default('AccessDeniedException'),
});
export const DatastoreErrors = z.strictObject({
  mode: z.literal('datastore-errors'),
  error: z.enum(['ThrottlingException', 'ProvisionedThroughputExceededException', 'AccessDeniedException']).default('ThrottlingException'),
  share: Share,
});
export const ProviderLatency = z.strictObject({
  mode: z.literal('provider-latency'),
  everyNth: EveryNth,
  delayMs: z.number().int().min(1).max(60_000),
  /**
   * before: the provider is slow to take the call (a timeout means nothing was charged). after: it processes the
   * call, then answers late (seed 003's "Schrödinger" case: a timed-out charge may have happened, and only the
   * retry's idempotency key keeps it from happening twice).
   */
  phase: z.enum(['before', 'after']).default('before'),
});
export const ProviderErrors = z.strictObject({ mode: z.literal('provider-errors'), share: Share });
export const ProviderLostResponse = z.strictObject({ mode: z.literal('provider-lost-response'), everyNth: EveryNth });
/** Detail-types a mode applies to; empty = all. */
const DetailTypes = z.array(z.string().min(1)).max(50).default([]);
export const DuplicateEvents = z.strictObject({
  mode: z.literal('duplicate-events'),
  detailTypes: DetailTypes,
  /** The share of events published more than once (chosen by event id, so a relay retry picks the same ones). */
  share: Share,
  /** Extra copies of each chosen event. */
  copies: z.number().int().min(1).max(5).default(1),
});
export const ReorderEvents = z.strictObject({
  mode: z.literal('reorder-events'),
  detailTypes: DetailTypes,
  /** The share of deliveries held back (chosen by SQS message id: of two duplicates, one may be late). */
  share: Share,
  /** How long a held-back delivery waits before it is handled (real seconds, as SQS visibility is). */
  delaySeconds: z.number().int().min(1).max(900).default(3),
});
export const PoisonEvents = z.strictObject({
  mode: z.literal('poison-events'),
  detailTypes: DetailTypes,
  /** The share of events this consumer cannot handle (chosen by event id: the same event fails on every receive). */
  share: Share,
});

export const FaultSchema = z.discriminatedUnion('mode', [
  DropEvents,
  CrashOnInit,
  FailDependency,
  DatastoreErrors,
  ProviderLatency,
  ProviderErrors,
  ProviderLostResponse,
  DuplicateEvents,
  ReorderEvents,
  PoisonEvents,
]);
export type FaultConfig = z.infer<typeof FaultSchema>;
export type FaultMode = FaultConfig['mode'];
export type FaultOf<M extends FaultMode> = Extract<FaultConfig, { mode: M }>;
/** What a scenario writes: the parameters with defaults may be left out. */
export type FaultInput = z.input<typeof FaultSchema>;

/** Parses a value of SHOPWAVE_FAULTS; throws FaultConfigError naming what is wrong. Unset or empty = no faults. */
export function parseFaults(raw: string | undefined): FaultConfig[] {
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new FaultConfigError(`${FAULTS_ENV} is not JSON (expected a list of {"mode": ...}): ${raw.slice(0, 200)}`);
  }
  const parsed = z.array(FaultSchema).max(20).safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new FaultConfigError(`${FAULTS_ENV} is invalid: ${issues}`);
  }
  return parsed.data;
}

/** The faults on in this environment now (throws FaultConfigError on a bad configuration). */
export function activeFaults(): FaultConfig[] {
  return parseFaults(process.env[FAULTS_ENV]);
}

export function faultsOf<M extends FaultMode>(mode: M): FaultOf<M>[] {
  return activeFaults().filter((f): f is FaultOf<M> => f.mode === mode);
}

/** Serialises faults for SHOPWAVE_FAULTS, validating them first (a scenario with a typo fails at injection). */
export function serializeFaults(faults: FaultInput[]): string {
  const parsed = z.array(FaultSchema).parse(faults);
  return JSON.stringify(parsed);
}
