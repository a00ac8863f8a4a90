/**
 * Development accounts for the local stack and the tests: an account id with a write key (may sit in
 * a browser) and a read key (secret: stats and WebSocket), stored hashed like in production.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { hashApiKey } from '../lambdas/shared/api-keys.js';
import { LOCAL_CREDENTIALS } from './function-environment.js';

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
    new DynamoDBClient({
      endpoint: options.dynamodbUrl,
      region: options.region,
      credentials: {
        accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
      requestHandler: new NodeHttpHandler(),
    }),
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
