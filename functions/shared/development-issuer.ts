/**
 * What the development issuer (tools/dev-issuer.ts) puts in its tokens, and so what the stack tells the customer
 * routes to expect from it (lib/constructs/customer-identity.ts) on every target without Cognito. Dependency-free
 * on purpose: the issuer and its CLI must not load aws-cdk-lib for two strings.
 */
export const DEV_ISSUER = 'shopwave-dev-issuer';
export const DEV_AUDIENCE = 'shopwave-api';
