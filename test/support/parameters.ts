/**
 * SSM Parameter Store for handler tests: the offline SsmEmulator holding the template's ordering switch, with the
 * handler environment (parameter name, SDK endpoint) pointed at it. Call before importing the handler.
 */
import { DevIssuer, DEV_AUDIENCE, DEV_ISSUER } from '../../tools/dev-issuer';
import { SsmEmulator } from '../../offline/runtime/ssm-emulator';
import { ORDERING_OPEN } from '../../functions/shared/ordering-state';

export const ORDERING_PARAMETER = '/ShopWave/ordering';
export const JWKS_PARAMETER = '/ShopWave/auth/dev-issuer-jwks';

/** Also the token side: an ephemeral development issuer whose keys the handlers trust, and `bearer(customerId)`. */
export async function useParameters(): Promise<
  SsmEmulator & { issuer: DevIssuer; bearer(customerId: string): Promise<Record<string, string>> }
> {
  const issuer = await DevIssuer.ephemeral();
  const ssm = new SsmEmulator(
    [
      { logicalId: 'Ordering', name: ORDERING_PARAMETER, type: 'String', value: JSON.stringify(ORDERING_OPEN) },
      { logicalId: 'Jwks', name: JWKS_PARAMETER, type: 'String', value: JSON.stringify(issuer.jwks()) },
    ],
    {
      region: 'us-east-1',
      accountId: '000000000000',
      sqsEndpoint: 'http://127.0.0.1:9',
      resourcePrefix: '',
    },
  );
  process.env.AWS_ENDPOINT_URL_SSM = await ssm.start();
  process.env.ORDERING_PARAMETER_NAME = ORDERING_PARAMETER;
  Object.assign(process.env, {
    AUTH_JWKS_PARAMETER: JWKS_PARAMETER,
    AUTH_ISSUER: DEV_ISSUER,
    AUTH_AUDIENCE: DEV_AUDIENCE,
    AUTH_CUSTOMER_CLAIM: 'sub',
  });
  return Object.assign(ssm, {
    issuer,
    bearer: async (customerId: string) => ({ authorization: `Bearer ${await issuer.sign(customerId)}` }),
  });
}
