/**
 * API keys, stored hashed. An item of the api-keys table is
 * `{ keyHash: sha256hex(key), keyId, accountId, scope: 'write' | 'read', prefix, createdAt,
 *    rateLimit?, burstLimit?, eventRateLimit?, eventBurstLimit?, revokedAt? }`, so a leaked table does not leak usable keys. `keyId` names
 * a key in the CLI and the logs; `prefix` (the key's first characters) helps a person tell keys apart.
 * Write keys may sit in a browser and may only POST events; read keys are secret and may do everything
 * their account may (post events, read stats, subscribe). A key has the rate limits it was created with,
 * or the defaults.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ForbiddenError, UnauthorizedError } from './http.js';

export type ApiKeyScope = 'write' | 'read';

export interface ApiKeyRecord {
  accountId: string;
  scope: ApiKeyScope;
  keyId?: string;
  /** Requests per second of this key, when it has its own (the default otherwise). */
  rateLimit?: number;
  burstLimit?: number;
  /** Events per second of this key, when it has its own (the default otherwise). */
  eventRateLimit?: number;
  eventBurstLimit?: number;
}

/** The item of a key in the api-keys table (the CLI writes it, the authorizer reads it). */
export interface ApiKeyItem extends Required<Pick<ApiKeyRecord, 'accountId' | 'scope' | 'keyId'>> {
  keyHash: string;
  prefix: string;
  createdAt: string;
  rateLimit?: number;
  burstLimit?: number;
  eventRateLimit?: number;
  eventBurstLimit?: number;
  revokedAt?: string;
}

/** Characters of a key shown by `keys list` and `keys create`: the scope marker and a few more. */
const PREFIX_LENGTH = 7;

/** The table key of an API key: lowercase hex SHA-256 of the key as the client sends it. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface NewKeyOptions {
  accountId: string;
  scope: ApiKeyScope;
  now: Date;
  rateLimit?: number | undefined;
  burstLimit?: number | undefined;
  eventRateLimit?: number | undefined;
  eventBurstLimit?: number | undefined;
}

/** A new key (`wk_…` or `rk_…`, 144 random bits) and its item; the secret is shown once, never stored. */
export function newApiKey(options: NewKeyOptions): { secret: string; item: ApiKeyItem } {
  const secret = `${options.scope === 'write' ? 'wk' : 'rk'}_${randomBytes(18).toString('base64url')}`;
  return { secret, item: apiKeyItem(secret, options) };
}

/** The item of the key `secret`: its hash, a new key id, and nothing of the secret but its prefix. */
export function apiKeyItem(secret: string, options: NewKeyOptions): ApiKeyItem {
  const item: ApiKeyItem = {
    keyHash: hashApiKey(secret),
    keyId: `key_${randomBytes(8).toString('hex')}`,
    accountId: options.accountId,
    scope: options.scope,
    prefix: secret.slice(0, PREFIX_LENGTH),
    createdAt: options.now.toISOString(),
  };
  if (options.rateLimit !== undefined) item.rateLimit = options.rateLimit;
  if (options.burstLimit !== undefined) item.burstLimit = options.burstLimit;
  if (options.eventRateLimit !== undefined) item.eventRateLimit = options.eventRateLimit;
  if (options.eventBurstLimit !== undefined) item.eventBurstLimit = options.eventBurstLimit;
  return item;
}

/** Resolves a raw key to its record, or `undefined` for an unknown or revoked key. */
export type ApiKeyLookup = (key: string) => Promise<ApiKeyRecord | undefined>;

export interface ApiKeyStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long a found key is trusted without asking DynamoDB again (revocation latency); 0 caches nothing. */
  ttlMs?: number;
  /** Read strongly consistently, for a caller that must see a revocation at once. */
  consistentRead?: boolean;
  now?: () => number;
}

/** Found keys kept at most; beyond it the cache starts over (a flood of distinct keys cannot grow it). */
const MAX_CACHED_KEYS = 1000;

/**
 * A lookup against the api-keys table with a small in-process cache of FOUND keys (a warm function
 * serves a busy client without a read per request). Unknown keys are not cached, so a key created a
 * moment ago works at once; revoking a key takes effect within `ttlMs`.
 */
export function createApiKeyLookup(options: ApiKeyStoreOptions): ApiKeyLookup {
  const byHash = createKeyHashLookup(options);
  return (key) => byHash(hashApiKey(key));
}

/** Looks a key up by its hash (the table key), as a live token names the read key that issued it. */
export type KeyHashLookup = (keyHash: string) => Promise<ApiKeyRecord | undefined>;

/** `createApiKeyLookup` by hash: the same table, the same cache of found keys. */
export function createKeyHashLookup(options: ApiKeyStoreOptions): KeyHashLookup {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { record: ApiKeyRecord; cachedAt: number }>();
  return async (keyHash) => {
    const cached = cache.get(keyHash);
    // Fresh only within `ttlMs` AFTER it was cached: a clock stepped back (NTP) must not keep a key
    // (revoked since) for as long as the step.
    const age = cached ? now() - cached.cachedAt : Number.NaN;
    if (cached && age >= 0 && age < ttlMs) return cached.record;
    const { Item } = await options.client.send(
      new GetCommand({
        TableName: options.tableName,
        Key: { keyHash },
        ...(options.consistentRead ? { ConsistentRead: true } : {}),
      }),
    );
    const record = parseRecord(Item);
    if (!record) {
      cache.delete(keyHash);
      return undefined;
    }
    if (ttlMs === 0) return record;
    if (cache.size > MAX_CACHED_KEYS) cache.clear();
    cache.set(keyHash, { record, cachedAt: now() });
    return record;
  };
}

/** The record of an item; undefined for a revoked key or an item that is not a key. */
export function parseRecord(item: Record<string, unknown> | undefined): ApiKeyRecord | undefined {
  if (!item || item.revokedAt !== undefined) return undefined;
  const { accountId, scope, keyId, rateLimit, burstLimit, eventRateLimit, eventBurstLimit } = item;
  if (typeof accountId !== 'string' || (scope !== 'write' && scope !== 'read')) return undefined;
  const record: ApiKeyRecord = { accountId, scope };
  if (typeof keyId === 'string') record.keyId = keyId;
  // A key's own limits are a pair of whole numbers from 1 (`keys create --rate --burst`). Anything
  // else (an item edited by hand: 0, a fraction, one of the two) means the defaults: a rate of 0 would
  // otherwise leave the key unthrottled by the local gateway, whatever API Gateway's plan does.
  const own = ownLimitPair(rateLimit, burstLimit);
  if (own) [record.rateLimit, record.burstLimit] = own;
  // The same for event limits (`keys create --event-rate --event-burst`).
  const ownEvents = ownLimitPair(eventRateLimit, eventBurstLimit);
  if (ownEvents) [record.eventRateLimit, record.eventBurstLimit] = ownEvents;
  return record;
}

/** A stored rate and burst that hold as the key's own (`[rate, burst]`), or `undefined`: the defaults apply. */
export function ownLimitPair(rate: unknown, burst: unknown): [number, number] | undefined {
  return isLimit(rate) && isLimit(burst) ? [rate, burst] : undefined;
}

function isLimit(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/**
 * Authenticates a request's key and checks its scope: 401 when missing or unknown, 403 when a write
 * key asks for a read operation, or when `accountId` is given and is not the key's account.
 */
export async function authorize(
  lookup: ApiKeyLookup,
  key: string | undefined,
  required: ApiKeyScope,
  accountId?: string,
): Promise<ApiKeyRecord> {
  if (!key) throw new UnauthorizedError('missing API key');
  const record = await lookup(key);
  if (!record) throw new UnauthorizedError('unknown API key');
  if (required === 'read' && record.scope !== 'read') {
    throw new ForbiddenError('this operation needs a read key; write keys may only post events');
  }
  if (accountId !== undefined && accountId !== record.accountId) {
    throw new ForbiddenError('the API key does not belong to this account');
  }
  return record;
}
