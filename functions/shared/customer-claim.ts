/**
 * The Cognito attribute that maps a user to a ShopWave customer (an id of the customers table): the pool declares
 * it (lib/constructs/customer-identity.ts), the handlers read it as the claim AUTH_CUSTOMER_CLAIM names, and the
 * token CLI binds its acceptance users with it (tools/cognito-tokens.ts). Here, free of aws-cdk-lib, for all three.
 */
export const CUSTOMER_ID_ATTRIBUTE = 'customerId';
