/**
 * Cognito ID tokens for the demo customers of a stack deployed with target=aws (`npm run token -- c-alice --cognito
 * --stack ShopWave-sandbox`), what the deploy pipeline's acceptance step uses: no stored passwords, no stored tokens.
 * Each customer gets one user, `acceptance-<customerId>`, whose immutable `custom:customerId` is that customer; every
 * call sets it a fresh random password (never printed, never kept) and signs in with it, so the token is what a real
 * customer of that id would get through the app client (USER_PASSWORD_AUTH, the flow the README's steps use).
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { randomBytes } from 'node:crypto';
import { CUSTOMER_ID_ATTRIBUTE } from '../functions/shared/customer-claim';
import { stackOutputs } from './stack-outputs';

export const acceptanceUsername = (customerId: string) => `acceptance-${customerId}`;

/** Meets the pool's policy (12+ characters, upper, lower, digit, symbol) whatever the random part holds. */
export const randomPassword = () => `${randomBytes(24).toString('base64url')}Aa1!`;

export async function cognitoIdToken(
  stack: string,
  customerId: string,
  clients: { cfn?: CloudFormationClient; idp?: CognitoIdentityProviderClient } = {},
): Promise<string> {
  const outputs = await stackOutputs(stack, clients.cfn);
  const pool = outputs.UserPoolId;
  const client = outputs.UserPoolClientId;
  if (!pool || !client) throw new Error(`stack ${stack} has no UserPoolId/UserPoolClientId outputs: it was not deployed with target=aws`);
  const idp = clients.idp ?? new CognitoIdentityProviderClient({});
  const username = acceptanceUsername(customerId);
  const claim = `custom:${CUSTOMER_ID_ATTRIBUTE}`;
  const existing = await idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: username })).catch((err: unknown) => {
    if (err instanceof UserNotFoundException) return undefined;
    throw err;
  });
  if (!existing) {
    await idp.send(
      new AdminCreateUserCommand({
        UserPoolId: pool,
        Username: username,
        MessageAction: 'SUPPRESS', // nobody to tell: no email, no temporary password sent anywhere
        UserAttributes: [{ Name: claim, Value: customerId }],
      }),
    );
  } else {
    // The attribute is immutable: a user of that name for another customer is someone else's, not ours to use.
    const bound = existing.UserAttributes?.find((a) => a.Name === claim)?.Value;
    if (bound !== customerId) throw new Error(`user ${username} of ${pool} is bound to customer ${bound ?? '(none)'}, not ${customerId}`);
  }
  const password = randomPassword();
  await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: username, Password: password, Permanent: true }));
  const auth = await idp.send(
    new InitiateAuthCommand({
      ClientId: client,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  const token = auth.AuthenticationResult?.IdToken;
  if (!token) throw new Error(`Cognito answered ${username}'s sign-in with a challenge (${auth.ChallengeName ?? 'none'}), not tokens`);
  return token;
}
