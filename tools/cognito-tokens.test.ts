import { UserNotFoundException } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { cognitoIdToken, randomPassword } from './cognito-tokens';

/** A client whose `send` answers by command name and records what it was sent, in order. */
function fake(answers: Record<string, (input: any) => unknown>) {
  const sent: { command: string; input: any }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      const name = command.constructor.name;
      sent.push({ command: name, input: command.input });
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer(command.input);
    },
  };
  return { client: client as any, sent };
}

const outputs = (values: Record<string, string>) =>
  fake({
    DescribeStacksCommand: () => ({
      Stacks: [{ Outputs: Object.entries(values).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
    }),
  });
const STACK = { UserPoolId: 'us-east-1_pool', UserPoolClientId: 'client-1' };

describe('cognitoIdToken', () => {
  it("creates the customer's acceptance user once, sets a fresh password and signs in with exactly that password", async () => {
    const cfn = outputs(STACK);
    const idp = fake({
      AdminGetUserCommand: () => {
        throw new UserNotFoundException({ message: 'User does not exist.', $metadata: {} });
      },
      AdminCreateUserCommand: () => ({}),
      AdminSetUserPasswordCommand: () => ({}),
      InitiateAuthCommand: () => ({ AuthenticationResult: { IdToken: 'id.token.sig' } }),
    });
    expect(await cognitoIdToken('ShopWave-sandbox', 'c-alice', { cfn: cfn.client, idp: idp.client })).toBe('id.token.sig');
    expect(cfn.sent[0].input).toEqual({ StackName: 'ShopWave-sandbox' });
    expect(idp.sent.map((s) => s.command)).toEqual([
      'AdminGetUserCommand',
      'AdminCreateUserCommand',
      'AdminSetUserPasswordCommand',
      'InitiateAuthCommand',
    ]);
    const [, create, setPassword, auth] = idp.sent.map((s) => s.input);
    expect(create).toEqual({
      UserPoolId: 'us-east-1_pool',
      Username: 'acceptance-c-alice',
      MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'custom:customerId', Value: 'c-alice' }],
    });
    expect(setPassword).toMatchObject({ UserPoolId: 'us-east-1_pool', Username: 'acceptance-c-alice', Permanent: true });
    expect(auth).toEqual({
      ClientId: 'client-1',
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'acceptance-c-alice', PASSWORD: setPassword.Password },
    });
  });

  it('reuses an existing user bound to the customer, and refuses one bound to another customer', async () => {
    const existing = (customerId: string) =>
      fake({
        AdminGetUserCommand: () => ({ UserAttributes: [{ Name: 'custom:customerId', Value: customerId }] }),
        AdminSetUserPasswordCommand: () => ({}),
        InitiateAuthCommand: () => ({ AuthenticationResult: { IdToken: 'id.token.bob' } }),
      });
    const mine = existing('c-bob');
    expect(await cognitoIdToken('S', 'c-bob', { cfn: outputs(STACK).client, idp: mine.client })).toBe('id.token.bob');
    expect(mine.sent.map((s) => s.command)).not.toContain('AdminCreateUserCommand');
    const theirs = existing('c-mallory');
    await expect(cognitoIdToken('S', 'c-bob', { cfn: outputs(STACK).client, idp: theirs.client })).rejects.toThrow(
      /bound to customer c-mallory, not c-bob/,
    );
    expect(theirs.sent.map((s) => s.command)).toEqual(['AdminGetUserCommand']);
  });

  it('names what is wrong: a stack without a user pool, a sign-in answered with a challenge', async () => {
    await expect(cognitoIdToken('ShopWave', 'c-alice', { cfn: outputs({ ApiUrl: 'x' }).client, idp: fake({}).client })).rejects.toThrow(
      /no UserPoolId\/UserPoolClientId outputs: it was not deployed with target=aws/,
    );
    const challenged = fake({
      AdminGetUserCommand: () => ({ UserAttributes: [{ Name: 'custom:customerId', Value: 'c-alice' }] }),
      AdminSetUserPasswordCommand: () => ({}),
      InitiateAuthCommand: () => ({ ChallengeName: 'SOFTWARE_TOKEN_MFA' }),
    });
    await expect(cognitoIdToken('S', 'c-alice', { cfn: outputs(STACK).client, idp: challenged.client })).rejects.toThrow(
      /challenge \(SOFTWARE_TOKEN_MFA\)/,
    );
  });

  it("makes passwords the pool's policy accepts (12+, upper, lower, digit, symbol), different every time", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = randomPassword();
      expect(p.length).toBeGreaterThanOrEqual(12);
      for (const re of [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/]) expect(p).toMatch(re);
      seen.add(p);
    }
    expect(seen.size).toBe(50);
  });
});
