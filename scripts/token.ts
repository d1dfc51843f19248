/**
 * A customer's bearer token from the development issuer (tools/dev-issuer.ts): offline and on LocalStack. A stack
 * deployed with target=aws trusts its Cognito user pool instead (README: "Customer tokens on AWS").
 *   npm run token -- c-alice                 # 1-hour token; the key pair is the one `npm start` trusts
 *   npm run token -- c-alice --publish       # also publish the issuer's public keys to a LocalStack stack's
 *                                            # parameter (/<stack>/auth/dev-issuer-jwks; --stack, default ShopWave)
 *   npm run token -- c-alice --cognito --stack ShopWave-sandbox
 *                                            # a Cognito ID token of a stack deployed with target=aws, for its user
 *                                            # acceptance-c-alice (created if missing; tools/cognito-tokens.ts)
 * The private key stays in .offline/ on this machine (never in git); only the public JWKS is published.
 */
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseArgs } from 'node:util';
import { DevIssuer } from '../tools/dev-issuer';

const { positionals, values } = parseArgs({
  options: {
    publish: { type: 'boolean' },
    cognito: { type: 'boolean' },
    stack: { type: 'string', default: 'ShopWave' },
    'expires-in': { type: 'string', default: '1h' },
  },
  allowPositionals: true,
});
const [customerId] = positionals;
if (!customerId || !/^[A-Za-z0-9_-]{1,64}$/.test(customerId)) {
  console.error('usage: npm run token -- <customerId> [--expires-in 1h] [--publish [--stack ShopWave]] | [--cognito --stack ShopWave]');
  process.exit(2);
}
if (values.cognito) {
  // The user pool's own tokens (1 hour, the app client's validity): --expires-in does not apply.
  const { cognitoIdToken } = await import('../tools/cognito-tokens');
  console.log(await cognitoIdToken(values.stack, customerId));
  process.exit(0);
}
const issuer = await DevIssuer.load();
if (values.publish) {
  const name = `/${values.stack}/auth/dev-issuer-jwks`;
  const ssm = new SSMClient({});
  // Only into a stack that trusts the development issuer: never create the parameter in one that does not.
  const exists = await ssm.send(new GetParameterCommand({ Name: name })).then(
    () => true,
    (err: unknown) => {
      if (err instanceof ParameterNotFound) return false;
      throw err;
    },
  );
  if (!exists) {
    console.error(
      `${values.stack} has no ${name}: a stack deployed with target=aws trusts Cognito, not the development issuer (see the README)`,
    );
    process.exit(2);
  }
  await ssm.send(new PutParameterCommand({ Name: name, Value: JSON.stringify(issuer.jwks()), Type: 'String', Overwrite: true }));
  console.error(`published the development issuer's public keys to ${name}`);
}
console.log(await issuer.sign(customerId, { expiresIn: values['expires-in'] }));
