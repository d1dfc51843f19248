/** The auth-failure metric's dimension values (auth-metrics.ts). Pure data: CDK imports it for the dashboard. */

/** The `service` dimension of every auth-failure datapoint (lib/constructs/business-metrics.ts reads it). */
export const AUTH_METRICS_SERVICE = 'auth';

export const AUTH_FAILURE_REASONS = [
  // Customer bearer tokens (401).
  'missing',
  'malformed',
  'expired',
  'bad-signature',
  'unknown-key',
  'wrong-issuer',
  'wrong-audience',
  'bad-algorithm',
  'bad-claims',
  'wrong-token-use',
  'no-customer',
  'invalid',
  // Merchant API keys (401), and a valid key used on another merchant's path (403).
  'merchant-key-missing',
  'merchant-key-malformed',
  'merchant-key-unknown',
  'merchant-key-wrong-secret',
  'merchant-forbidden',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];
