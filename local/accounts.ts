/**
 * Development accounts for the local stack and the tests: an account id with a write key (may sit in
 * a browser) and a read key (secret: stats and WebSocket), stored hashed like in production.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { hashApiKey } from '../lambdas/shared/api-keys.js';
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

/** Stores the account's keys, hashed, in the api-keys table. */
export async function registerAccount(
  options: { dynamodbUrl: string; region: string; apiKeysTableName: string },
  account: DevAccount,
): Promise<void> {
  const client = DynamoDBDocumentClient.from(
    localDynamoDb(options.dynamodbUrl, { region: options.region, maxAttempts: 3 }),
  );
  try {
    const createdAt = new Date().toISOString();
    for (const [key, scope] of [
      [account.writeKey, 'write'],
      [account.readKey, 'read'],
    ] as const) {
      await client.send(
        new PutCommand({
          TableName: options.apiKeysTableName,
          Item: { keyHash: hashApiKey(key), accountId: account.accountId, scope, createdAt },
        }),
      );
    }
  } finally {
    client.destroy();
  }
}
