import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { CUSTOMER_ID_ATTRIBUTE } from '../../functions/shared/customer-claim';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../functions/shared/development-issuer';

type ApiFunction = IFunction & { addEnvironment(key: string, value: string): unknown };

/**
 * Who may call the customer routes. The handlers verify bearer tokens themselves (functions/shared/auth.ts, a
 * middy middleware, so it holds where no authorizer runs); this construct decides whose tokens they trust:
 * - `cognito: true` (the aws target): a Cognito user pool and one app client. Handlers fetch the pool's JWKS over
 *   HTTPS, accept only its ID tokens for this client, and read the customer from `custom:customerId` — an
 *   attribute only an administrator sets, once (immutable, not writable by the client), so a user cannot become
 *   another customer. No self sign-up: users are created for existing customers (README).
 * - otherwise (LocalStack community has no Cognito; offline): the development issuer's public keys (JWKS) in one
 *   SSM parameter, published by `npm start` offline and by `npm run token -- --publish` on LocalStack. It starts
 *   empty: no key, no valid token.
 */
export class CustomerIdentity extends Construct {
  readonly jwksParameter?: StringParameter;
  readonly userPool?: UserPool;
  readonly appClient?: UserPoolClient;
  /** Where the issuer's public keys are: AUTH_JWKS_URL (Cognito) or AUTH_JWKS_PARAMETER (development issuer). */
  private readonly keysEnvironment: Record<string, string>;
  /** The keys plus whom to trust: issuer, audience, the claim naming the customer. */
  private readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: { cognito: boolean }) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.cognito) {
      this.userPool = new UserPool(this, 'Customers', {
        userPoolName: `${stack.stackName}-customers`,
        selfSignUpEnabled: false,
        signInAliases: { username: true, email: true },
        customAttributes: { [CUSTOMER_ID_ATTRIBUTE]: new StringAttribute({ minLen: 1, maxLen: 64, mutable: false }) },
        passwordPolicy: {
          minLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireDigits: true,
          requireSymbols: true,
          tempPasswordValidity: Duration.days(3),
        },
        mfa: Mfa.OPTIONAL,
        mfaSecondFactor: { otp: true, sms: false },
        accountRecovery: AccountRecovery.EMAIL_ONLY,
        featurePlan: FeaturePlan.ESSENTIALS,
        removalPolicy: RemovalPolicy.DESTROY, // a sandbox platform, like its tables; see README before production
      });
      this.appClient = this.userPool.addClient('CustomerApp', {
        userPoolClientName: 'shopwave-customer-app',
        generateSecret: false, // a public client (app, CLI): a secret could not be kept
        // SRP for apps; USER_PASSWORD_AUTH so `aws cognito-idp initiate-auth` can get a token in the README's steps.
        authFlows: { userSrp: true, userPassword: true },
        preventUserExistenceErrors: true,
        idTokenValidity: Duration.hours(1),
        accessTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(30),
        readAttributes: new ClientAttributes()
          .withStandardAttributes({ email: true, emailVerified: true })
          .withCustomAttributes(CUSTOMER_ID_ATTRIBUTE),
        // The customer id is not writable by the user: it decides whose orders a token reads.
        writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
      });
      const issuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;
      this.keysEnvironment = { AUTH_JWKS_URL: `${issuer}/.well-known/jwks.json` };
      this.environment = {
        ...this.keysEnvironment,
        AUTH_ISSUER: issuer,
        AUTH_AUDIENCE: this.appClient.userPoolClientId,
        AUTH_TOKEN_USE: 'id', // ID tokens carry aud and the custom attribute; access tokens carry neither
        AUTH_CUSTOMER_CLAIM: `custom:${CUSTOMER_ID_ATTRIBUTE}`,
      };
      Validations.of(this.userPool).acknowledge(
        {
          id: 'AwsSolutions-COG2',
          reason:
            'Customers of a food-ordering app are offered TOTP MFA but not forced into it; accounts are created by an administrator for existing customers, and tokens only reach their own orders.',
        },
        {
          id: 'AwsSolutions-COG8',
          reason:
            'Sandbox platform: the Essentials plan keeps the pool free of per-user charges; threat protection (Plus) is a production decision noted in docs/security.md.',
        },
      );
      new CfnOutput(stack, 'UserPoolId', { value: this.userPool.userPoolId });
      new CfnOutput(stack, 'UserPoolClientId', { value: this.appClient.userPoolClientId });
    } else {
      this.jwksParameter = new StringParameter(this, 'DevIssuerJwks', {
        parameterName: `/${stack.stackName}/auth/dev-issuer-jwks`,
        stringValue: JSON.stringify({ keys: [] }),
        description: 'Public keys (JWKS) of the ShopWave development token issuer; public data, no secret.',
      });
      this.keysEnvironment = { AUTH_JWKS_PARAMETER: this.jwksParameter.parameterName };
      this.environment = {
        ...this.keysEnvironment,
        AUTH_ISSUER: DEV_ISSUER,
        AUTH_AUDIENCE: DEV_AUDIENCE,
        AUTH_CUSTOMER_CLAIM: 'sub',
      };
      new CfnOutput(stack, 'DevIssuerJwksParameterName', { value: this.jwksParameter.parameterName });
    }
  }

  /** Lets `fn` (the readiness check) see whether the issuer's public keys can be fetched; it verifies nothing. */
  grantKeyProbe(fn: ApiFunction): void {
    this.jwksParameter?.grantRead(fn);
    for (const [key, value] of Object.entries(this.keysEnvironment)) fn.addEnvironment(key, value);
  }

  /** Lets `fn` verify customer tokens: where the keys are, and which issuer, audience and claim to trust. */
  grantVerify(fn: ApiFunction): void {
    this.jwksParameter?.grantRead(fn); // Cognito's JWKS is public: no permission needed
    for (const [key, value] of Object.entries(this.environment)) fn.addEnvironment(key, value);
  }
}
