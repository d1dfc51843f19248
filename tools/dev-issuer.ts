/**
 * The development token issuer, for every target without Cognito (offline, LocalStack community): an ES256 key
 * pair generated at first start (never in git: .offline/ is ignored), whose public JWKS is published in the SSM
 * parameter the handlers read (lib/constructs/customer-identity.ts), and which signs short-lived tokens for demo
 * customers (`npm run token -- c-alice`). Handlers verify these exactly as they would verify Cognito's.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

import { DEV_AUDIENCE, DEV_ISSUER } from '../functions/shared/development-issuer';
import { OFFLINE_DIR } from './offline-dir';

export { DEV_AUDIENCE, DEV_ISSUER };
export const DEV_KEY_FILE = path.join(OFFLINE_DIR, 'dev-issuer-key.json');

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

export class DevIssuer {
  private constructor(
    private readonly privateKey: SigningKey,
    private readonly publicJwk: JWK,
    readonly kid: string,
  ) {}

  /** A key pair that lives as long as this process (tests: one per platform). */
  static async ephemeral(): Promise<DevIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `dev-${Date.now().toString(36)}`;
    return new DevIssuer(privateKey, await exportJWK(publicKey), kid);
  }

  /** The key pair in `file`, generated there (mode 600) on first use. */
  static async load(file = DEV_KEY_FILE): Promise<DevIssuer> {
    if (!existsSync(file)) {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const stored = {
        kid: `dev-${Date.now().toString(36)}`,
        privateJwk: await exportJWK(privateKey),
        publicJwk: await exportJWK(publicKey),
      };
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    const { kid, privateJwk, publicJwk } = JSON.parse(readFileSync(file, 'utf8')) as { kid: string; privateJwk: JWK; publicJwk: JWK };
    return new DevIssuer(await importJWK(privateJwk, 'ES256'), publicJwk, kid);
  }

  /** What the handlers verify against (published in SSM). */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk, kid: this.kid, alg: 'ES256', use: 'sig' }] };
  }

  /** A customer's access token: `sub` is the customer id. */
  async sign(customerId: string, opts: { expiresIn?: string | number; issuer?: string; audience?: string } = {}): Promise<string> {
    return new SignJWT({ scope: 'orders' })
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setSubject(customerId)
      .setIssuer(opts.issuer ?? DEV_ISSUER)
      .setAudience(opts.audience ?? DEV_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '1h')
      .sign(this.privateKey);
  }
}
