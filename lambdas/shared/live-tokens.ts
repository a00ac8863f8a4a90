/**
 * Live tokens: what a read key is exchanged for (`POST /v1/live-tokens`) so that a dashboard page can
 * open the WebSocket (`?token=` is the only credential a browser can give a WebSocket handshake) and read
 * its account's stats without ever holding the long-lived read key.
 *
 * A token is random (256 bits), scoped to one account and short-lived; it is stored hashed, like API
 * keys, as an item of the live-tokens table: `{ tokenHash, accountId, keyHash, expiresAt,
 * sessionExpiresAt, createdAt }`, deleted by TTL after `expiresAt` (and refused at once: TTL deletion
 * lags). A valid token can be renewed for another one until the session it started ends
 * (`sessionExpiresAt`, 12 hours after the read key was given), so an open page keeps working without
 * keeping the key, and a stolen token is useful for at most an hour unless its thief keeps renewing it,
 * and never past the session's end.
 * `keyHash` names the read key that started the session: the REST API's authorizer throttles a token
 * with that key's usage plan and refuses it once the key is revoked.
 * Why a table rather than a signed (HMAC) token: docs/decisions.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, KeyHashLookup } from './api-keys.js';
import { UnauthorizedError } from './http.js';

/** The header a live token comes in (never the query string of a REST call: it would land in logs). */
export const LIVE_TOKEN_HEADER = 'x-live-token';
/** Every live token starts with this, so it is recognizable (in a leak scan) and never mistaken for a key. */
export const LIVE_TOKEN_PREFIX = 'lt_';
/** How long one token is valid. */
export const LIVE_TOKEN_TTL_SECONDS = 3600;
/** How long a chain of renewed tokens may last after the read key was given. */
export const LIVE_SESSION_MAX_SECONDS = 12 * 3600;
/** `lt_` and 43 base64url characters (32 random bytes). */
const TOKEN_PATTERN = /^lt_[A-Za-z0-9_-]{43}$/;

/** The item of the live-tokens table. */
export interface LiveTokenItem {
  /** Lowercase hex SHA-256 of the token: the table key. */
  tokenHash: string;
  accountId: string;
  /** Hash of the read key that started the session (the api-keys table key). */
  keyHash: string;
  /** Epoch seconds: the token is refused from then on, and the DynamoDB TTL deletes it. */
  expiresAt: number;
  /** Epoch seconds: no renewal of this chain is valid past it. */
  sessionExpiresAt: number;
  /** ISO-8601 time the token was issued. */
  createdAt: string;
}

/** What a valid token grants. */
export interface LiveGrant {
  accountId: string;
  /** The read key that started the session; absent on a token issued before keys were recorded. */
  keyHash?: string;
  expiresAt: number;
  sessionExpiresAt: number;
}

/** A freshly issued token, with the grant it carries (the only time the token itself is seen). */
export interface IssuedLiveToken extends LiveGrant {
  token: string;
}

export interface LiveTokenStore {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
}

/** The table key of a token. */
export function hashLiveToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether `value` has the shape of a live token (cheap; says nothing about its validity). */
export function looksLikeLiveToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * Issues a token for `accountId` in the session `keyHash`'s read key started, valid for
 * `LIVE_TOKEN_TTL_SECONDS` but never past `sessionExpiresAt` (default: a new session of
 * `LIVE_SESSION_MAX_SECONDS`), and stores its hash.
 */
export async function issueLiveToken(
  store: LiveTokenStore,
  session: { accountId: string; keyHash: string; sessionExpiresAt?: number },
): Promise<IssuedLiveToken> {
  const { accountId, keyHash } = session;
  const now = store.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const sessionEnd = session.sessionExpiresAt ?? nowSeconds + LIVE_SESSION_MAX_SECONDS;
  // A renewal verified in the session's last second can reach here after it ended: a token issued now
  // would be refused at once, so the caller is told to sign in again rather than handed a dead token.
  if (sessionEnd <= nowSeconds) {
    throw new UnauthorizedError('the live session has ended; sign in with the read key again');
  }
  const token = `${LIVE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const item: LiveTokenItem = {
    tokenHash: hashLiveToken(token),
    accountId,
    keyHash,
    expiresAt: Math.min(nowSeconds + LIVE_TOKEN_TTL_SECONDS, sessionEnd),
    sessionExpiresAt: sessionEnd,
    createdAt: now.toISOString(),
  };
  await store.dynamo.send(
    new PutCommand({
      TableName: store.tableName,
      Item: item,
      // 256 random bits never collide; the condition makes sure a token is never silently rebound.
      ConditionExpression: 'attribute_not_exists(tokenHash)',
    }),
  );
  return { token, accountId, keyHash, expiresAt: item.expiresAt, sessionExpiresAt: sessionEnd };
}

/**
 * The grant of a token, or `undefined` when it is malformed, unknown or expired. Reads the item
 * strongly consistently: a token is used within a second of being issued (the page connects at once).
 */
export async function verifyLiveToken(store: LiveTokenStore, token: string): Promise<LiveGrant | undefined> {
  if (!looksLikeLiveToken(token)) return undefined;
  const { Item } = await store.dynamo.send(
    new GetCommand({
      TableName: store.tableName,
      Key: { tokenHash: hashLiveToken(token) },
      ConsistentRead: true,
    }),
  );
  const grant = parseItem(Item);
  if (!grant) return undefined;
  return grant.expiresAt > Math.floor(store.now().getTime() / 1000) ? grant : undefined;
}

function parseItem(item: Record<string, unknown> | undefined): LiveGrant | undefined {
  if (!item) return undefined;
  const { accountId, keyHash, expiresAt, sessionExpiresAt } = item;
  if (
    typeof accountId !== 'string' ||
    typeof expiresAt !== 'number' ||
    typeof sessionExpiresAt !== 'number'
  ) {
    return undefined;
  }
  return { accountId, expiresAt, sessionExpiresAt, ...(typeof keyHash === 'string' ? { keyHash } : {}) };
}

/** Why a live token stands for no read key. */
export type TokenKeyDenial =
  | 'unknown or expired live token'
  | 'live token without its read key'
  | "the live token's read key is revoked";

/**
 * The read key a live token stands for, the one rule wherever a token is accepted in place of its key
 * (the REST API's authorizer, `$connect`): the token is valid, names the key that started its session
 * (a token issued before sessions named their key does not), and that key is still a read key of the
 * token's account (a revoked key is no longer found).
 */
export async function readKeyOfToken(
  token: string,
  verify: (token: string) => Promise<LiveGrant | undefined>,
  lookupKeyHash: KeyHashLookup,
): Promise<{ grant: LiveGrant & { keyHash: string }; key: ApiKeyRecord } | { denied: TokenKeyDenial }> {
  const grant = await verify(token);
  if (!grant) return { denied: 'unknown or expired live token' };
  const { keyHash } = grant;
  if (!keyHash) return { denied: 'live token without its read key' };
  const key = await lookupKeyHash(keyHash);
  if (key?.accountId !== grant.accountId || key.scope !== 'read') {
    return { denied: "the live token's read key is revoked" };
  }
  return { grant: { ...grant, keyHash }, key };
}
