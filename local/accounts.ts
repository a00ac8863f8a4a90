/**
 * Development accounts for the local stack and the tests: an account id with a write key (may sit in
 * a browser) and a read key (secret: stats and WebSocket), stored as the CLI stores them: the account
 * item, and each key's item with its hash, never the key.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { accountItem } from '../lambdas/shared/accounts.js';
import { type ApiKeyItem, apiKeyItem, type NewKeyOptions } from '../lambdas/shared/api-keys.js';
import { localDynamoDb } from './services/local-clients.js';

export interface DevAccount {
  accountId: string;
  writeKey: string;
  readKey: string;
}

/** A fresh account with random keys; tests use one per scenario so they never share data. */
export function newDevAccount(prefix = 'acct'): DevAccount {
  return {
    accountId: `${prefix}_${randomBytes(6).toString('hex')}`,
    writeKey: `wk_${randomBytes(18).toString('base64url')}`,
    readKey: `rk_${randomBytes(18).toString('base64url')}`,
  };
}

/**
 * The development account of `npm start`, kept in `file` across restarts so a dashboard or script keeps
 * its keys; made on the first start. Written aside and renamed, so a start killed meanwhile never leaves
 * half a file; a file that is not an account anyway (edited, truncated) is named in the error with what
 * to do, instead of a bare JSON error, or worse, a DynamoDB error once the whole stack has started.
 */
export async function loadOrCreateDevAccount(file: string): Promise<DevAccount> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const account = newDevAccount('acct_dev');
    await writeFile(`${file}.new`, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
    await rename(`${file}.new`, file);
    return account;
  }
  const problem = devAccountProblem(text);
  if (problem) {
    throw new Error(
      `${file} is not a development account (${problem}): delete it and start again, ` +
        'and a new account with new keys is made',
    );
  }
  return JSON.parse(text) as DevAccount;
}

/** What is wrong with a development account file, or undefined when nothing is. */
function devAccountProblem(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  const fields = ['accountId', 'writeKey', 'readKey'] as const;
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const missing = fields.filter((field) => typeof record[field] !== 'string' || record[field] === '');
  return missing.length > 0 ? `no ${missing.join(', ')}` : undefined;
}

export interface AccountTables {
  dynamodbUrl: string;
  region: string;
  apiKeysTableName: string;
  accountsTableName: string;
}

/** Limits a key may have of its own: requests per second and burst, events per second and burst. */
export type OwnKeyLimits = Pick<
  NewKeyOptions,
  'rateLimit' | 'burstLimit' | 'eventRateLimit' | 'eventBurstLimit'
>;

/**
 * Limits far above anything a load test or bench on this machine sends, for keys that must never be
 * throttled while they measure the pipeline.
 */
export const UNTHROTTLED_KEY_LIMITS: OwnKeyLimits = {
  rateLimit: 10_000,
  burstLimit: 10_000,
  eventRateLimit: 1_000_000,
  eventBurstLimit: 1_000_000,
};

/**
 * Stores the account and its keys, hashed. `limits` gives both keys limits of their own (requests and
 * events per second and burst) instead of the defaults.
 */
export async function registerAccount(
  options: AccountTables,
  account: DevAccount,
  limits: OwnKeyLimits = {},
): Promise<ApiKeyItem[]> {
  const client = DynamoDBDocumentClient.from(
    localDynamoDb(options.dynamodbUrl, { region: options.region, maxAttempts: 3 }),
  );
  try {
    const now = new Date();
    await client.send(
      new PutCommand({ TableName: options.accountsTableName, Item: accountItem(account.accountId, { now }) }),
    );
    const items = [
      apiKeyItem(account.writeKey, { accountId: account.accountId, scope: 'write', now, ...limits }),
      apiKeyItem(account.readKey, { accountId: account.accountId, scope: 'read', now, ...limits }),
    ];
    for (const item of items) {
      await client.send(new PutCommand({ TableName: options.apiKeysTableName, Item: item }));
    }
    return items;
  } finally {
    client.destroy();
  }
}
