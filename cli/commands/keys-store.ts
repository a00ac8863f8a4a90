/**
 * The tables behind `keys` and `accounts`: accounts and hashed API keys, read and written with their
 * item models (`lambdas/shared/accounts.ts`, `lambdas/shared/api-keys.ts`). Writes are conditional, so
 * an id is never reused and a revocation is never undone. Lists are scans: a table holds at most the
 * keys API Gateway allows a region (10,000 by default), a few MB.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AccountItem } from '../../lambdas/shared/accounts.js';
import type { ApiKeyItem } from '../../lambdas/shared/api-keys.js';
import type { Target } from '../target.js';

export interface KeyTables {
  dynamo: DynamoDBDocumentClient;
  apiKeysTableName: string;
  accountsTableName: string;
}

/** The key and account tables of a target. */
export function keyTablesOf(target: Pick<Target, 'dynamo' | 'resources'>): KeyTables {
  return {
    dynamo: target.dynamo,
    apiKeysTableName: target.resources.apiKeysTableName,
    accountsTableName: target.resources.accountsTableName,
  };
}

/** Stores a new account; false when the id is taken. */
export async function putAccount(tables: KeyTables, account: AccountItem): Promise<boolean> {
  return conditionally(() =>
    tables.dynamo.send(
      new PutCommand({
        TableName: tables.accountsTableName,
        Item: account,
        ConditionExpression: 'attribute_not_exists(accountId)',
      }),
    ),
  );
}

export async function getAccount(tables: KeyTables, accountId: string): Promise<AccountItem | undefined> {
  const { Item } = await tables.dynamo.send(
    new GetCommand({ TableName: tables.accountsTableName, Key: { accountId } }),
  );
  return Item as AccountItem | undefined;
}

export async function listAccounts(tables: KeyTables): Promise<AccountItem[]> {
  return scanAll<AccountItem>(tables.dynamo, tables.accountsTableName);
}

/** Stores a new key; false when its hash is already there (a collision of 144 random bits: never). */
export async function putKey(tables: KeyTables, key: ApiKeyItem): Promise<boolean> {
  return conditionally(() =>
    tables.dynamo.send(
      new PutCommand({
        TableName: tables.apiKeysTableName,
        Item: key,
        ConditionExpression: 'attribute_not_exists(keyHash)',
      }),
    ),
  );
}

/**
 * Deletes a key that was never handed out (its secret never shown): the undoing of a `keys create` that
 * failed half-way. A revoked key is never deleted: revocation is kept for the record.
 */
export async function deleteUnissuedKey(tables: KeyTables, key: ApiKeyItem): Promise<void> {
  await conditionally(() =>
    tables.dynamo.send(
      new DeleteCommand({
        TableName: tables.apiKeysTableName,
        Key: { keyHash: key.keyHash },
        ConditionExpression: 'keyId = :keyId AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':keyId': key.keyId },
      }),
    ),
  );
}

/** Every key, or the keys of one account, oldest first. */
export async function listKeys(tables: KeyTables, accountId?: string): Promise<ApiKeyItem[]> {
  const keys = await scanAll<ApiKeyItem>(
    tables.dynamo,
    tables.apiKeysTableName,
    accountId === undefined
      ? {}
      : { FilterExpression: 'accountId = :account', ExpressionAttributeValues: { ':account': accountId } },
  );
  return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
}

/** The key named `keyId`, if any. */
export async function findKey(tables: KeyTables, keyId: string): Promise<ApiKeyItem | undefined> {
  const [key] = await scanAll<ApiKeyItem>(tables.dynamo, tables.apiKeysTableName, {
    FilterExpression: 'keyId = :keyId',
    ExpressionAttributeValues: { ':keyId': keyId },
  });
  return key;
}

/** Marks a key revoked (the item stays, for the record); false when it already was. */
export async function revokeKey(tables: KeyTables, key: ApiKeyItem, at: Date): Promise<boolean> {
  return conditionally(() =>
    tables.dynamo.send(
      new UpdateCommand({
        TableName: tables.apiKeysTableName,
        Key: { keyHash: key.keyHash },
        UpdateExpression: 'SET revokedAt = :at',
        ConditionExpression: 'attribute_exists(keyHash) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':at': at.toISOString() },
      }),
    ),
  );
}

async function scanAll<T>(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  filter: { FilterExpression?: string; ExpressionAttributeValues?: Record<string, unknown> } = {},
): Promise<T[]> {
  const items: T[] = [];
  for await (const page of paginateScan({ client: dynamo }, { TableName: tableName, ...filter })) {
    items.push(...((page.Items ?? []) as T[]));
  }
  return items;
}

/** Runs a conditional write: true when written, false when its condition failed. */
async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
