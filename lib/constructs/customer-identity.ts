import { Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** Must match offline/dev-issuer.ts: what the development issuer puts in its tokens. */
export const DEV_ISSUER = 'shopwave-dev-issuer';
export const DEV_AUDIENCE = 'shopwave-api';

/**
 * Who may call the customer routes: the development issuer's public keys (JWKS) in one SSM parameter, published
 * by `npm start` offline and by `npm run token -- --publish` on a deployed stack; the handlers verify bearer tokens
 * against it (functions/shared/auth.ts). The parameter starts empty: no key, no valid token.
 * Cognito for the aws target (AUTH_JWKS_URL instead of the parameter) is still to come (issue #4).
 */
export class CustomerIdentity extends Construct {
  readonly jwksParameter: StringParameter;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.jwksParameter = new StringParameter(this, 'DevIssuerJwks', {
      parameterName: `/${Stack.of(this).stackName}/auth/dev-issuer-jwks`,
      stringValue: JSON.stringify({ keys: [] }),
      description: 'Public keys (JWKS) of the ShopWave development token issuer; public data, no secret.',
    });
  }

  /** Lets `fn` verify customer tokens. */
  grantVerify(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.jwksParameter.grantRead(fn);
    fn.addEnvironment('AUTH_JWKS_PARAMETER', this.jwksParameter.parameterName);
    fn.addEnvironment('AUTH_ISSUER', DEV_ISSUER);
    fn.addEnvironment('AUTH_AUDIENCE', DEV_AUDIENCE);
    fn.addEnvironment('AUTH_CUSTOMER_CLAIM', 'sub');
  }
}
