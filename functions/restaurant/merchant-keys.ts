/**
 * Merchant API keys: `mk_<keyId>_<secret>`. Only a SHA-256 of the secret is stored (Restaurant table,
 * `MERCHANTKEY#<keyId>`), with the one merchant the key acts for; the key itself is shown once, at creation.
 * The secret has 256 bits of randomness, so a fast hash is enough (no password-style stretching needed), and the
 * comparison is constant-time. Revoking deletes the row: the next request with that key is a 401.
 */
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_ID = '[a-z0-9]{16}';
const KEY_FORMAT = new RegExp(`^mk_(${KEY_ID})_([A-Za-z0-9_-]{43})$`);
const keyOf = (keyId: string) => ({ pk: `MERCHANTKEY#${keyId}`, sk: 'KEY' });
const sha256 = (secret: string) => createHash('sha256').update(secret).digest();

export interface MerchantKeyRow {
  pk: string;
  sk: string;
  keyId: string;
  merchantId: string;
  secretSha256: string;
  createdAt: string;
}

/** Creates a key for `merchantId` and returns it: the only time it exists in clear. */
export async function createMerchantKey(doc: DynamoDBDocumentClient, tableName: string, merchantId: string): Promise<string> {
  const keyId = randomBytes(10).toString('hex').slice(0, 16);
  const secret = randomBytes(32).toString('base64url');
  const row: MerchantKeyRow = {
    ...keyOf(keyId),
    keyId,
    merchantId,
    secretSha256: sha256(secret).toString('hex'),
    createdAt: new Date().toISOString(),
  };
  await doc.send(new PutCommand({ TableName: tableName, Item: row, ConditionExpression: 'attribute_not_exists(pk)' }));
  return `mk_${keyId}_${secret}`;
}

/** Why a key was refused, for the auth-failure metric (never the key itself). */
export type MerchantKeyRefusal = 'missing' | 'malformed' | 'unknown' | 'wrong-secret';

/** The merchant a key acts for, or why it does not act for any. */
export async function checkMerchantKey(
  doc: DynamoDBDocumentClient,
  tableName: string,
  apiKey: string | undefined,
): Promise<{ merchantId: string } | { refused: MerchantKeyRefusal }> {
  if (!apiKey) return { refused: 'missing' };
  const m = KEY_FORMAT.exec(apiKey);
  if (!m) return { refused: 'malformed' };
  const row = (await doc.send(new GetCommand({ TableName: tableName, Key: keyOf(m[1]) }))).Item as MerchantKeyRow | undefined;
  if (!row) return { refused: 'unknown' };
  const stored = Buffer.from(row.secretSha256, 'hex');
  const offered = sha256(m[2]);
  return stored.length === offered.length && timingSafeEqual(stored, offered)
    ? { merchantId: row.merchantId }
    : { refused: 'wrong-secret' };
}

/** The merchant a key acts for, or undefined for a missing, malformed, unknown or wrong key. */
export async function merchantOfKey(
  doc: DynamoDBDocumentClient,
  tableName: string,
  apiKey: string | undefined,
): Promise<string | undefined> {
  const checked = await checkMerchantKey(doc, tableName, apiKey);
  return 'merchantId' in checked ? checked.merchantId : undefined;
}

/** The public part of a key (`mk_<keyId>_…`), safe to log: it names the key without granting anything. */
export const keyIdOf = (apiKey: string | undefined): string | undefined => KEY_FORMAT.exec(apiKey ?? '')?.[1];

/**
 * Revokes a key, given its id or the whole key; answers the merchant it acted for, or undefined if there was no
 * such key. Takes effect on the next request: keys are not cached.
 */
export async function revokeMerchantKey(doc: DynamoDBDocumentClient, tableName: string, keyIdOrKey: string): Promise<string | undefined> {
  const keyId = keyIdOf(keyIdOrKey) ?? keyIdOrKey;
  if (!new RegExp(`^${KEY_ID}$`).test(keyId)) return undefined;
  const { Attributes } = await doc.send(new DeleteCommand({ TableName: tableName, Key: keyOf(keyId), ReturnValues: 'ALL_OLD' }));
  return (Attributes as MerchantKeyRow | undefined)?.merchantId;
}
