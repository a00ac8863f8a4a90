/**
 * API keys, stored hashed: an item of the api-keys table is
 * `{ keyHash: sha256hex(key), accountId, scope: 'write' | 'read', createdAt? }`, so a leaked table
 * does not leak usable keys. Write keys may sit in a browser and may only POST events; read keys are
 * secret and may do everything their account may (post events, read stats, subscribe).
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ForbiddenError, UnauthorizedError } from './http.js';

export type ApiKeyScope = 'write' | 'read';

export interface ApiKeyRecord {
  accountId: string;
  scope: ApiKeyScope;
}

/** The table key of an API key: lowercase hex SHA-256 of the key as the client sends it. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Resolves a raw key to its record, or `undefined` for an unknown key. */
export type ApiKeyLookup = (key: string) => Promise<ApiKeyRecord | undefined>;

export interface ApiKeyStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long a found key is trusted without asking DynamoDB again (revocation latency). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * A lookup against the api-keys table with a small in-process cache of FOUND keys (a warm function
 * serves a busy client without a read per request). Unknown keys are not cached, so a key created a
 * moment ago works at once; revoking a key takes effect within `ttlMs`.
 */
export function createApiKeyLookup(options: ApiKeyStoreOptions): ApiKeyLookup {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { record: ApiKeyRecord; expiresAt: number }>();
  return async (key) => {
    const keyHash = hashApiKey(key);
    const cached = cache.get(keyHash);
    if (cached && cached.expiresAt > now()) return cached.record;
    const { Item } = await options.client.send(
      new GetCommand({ TableName: options.tableName, Key: { keyHash } }),
    );
    const record = parseRecord(Item);
    if (!record) {
      cache.delete(keyHash);
      return undefined;
    }
    if (cache.size > 1000) cache.clear();
    cache.set(keyHash, { record, expiresAt: now() + ttlMs });
    return record;
  };
}

function parseRecord(item: Record<string, unknown> | undefined): ApiKeyRecord | undefined {
  if (!item) return undefined;
  const { accountId, scope } = item;
  if (typeof accountId !== 'string' || (scope !== 'write' && scope !== 'read')) return undefined;
  return { accountId, scope };
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
