/**
 * An in-memory live-tokens table behind aws-sdk-client-mock, for unit tests of issuing and checking live
 * tokens: PutItem with `attribute_not_exists`, and GetItem, on the table named `live-tokens` only, so it
 * can sit beside another fake table on the same mocked client.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

export const LIVE_TOKENS_TABLE = 'live-tokens';

// biome-ignore lint/suspicious/noExplicitAny: the stub's generic parameters are the SDK's own.
type DocumentStub = AwsStub<any, any, any>;

/** Installs the fake (after `reset()`); returns its items by token hash. */
export function fakeLiveTokensTable(stub: DocumentStub): Map<string, Record<string, unknown>> {
  const items = new Map<string, Record<string, unknown>>();
  stub.on(PutCommand, { TableName: LIVE_TOKENS_TABLE }).callsFake((input) => {
    const item = input.Item as Record<string, unknown>;
    const key = String(item.tokenHash);
    if (items.has(key)) throw new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });
    items.set(key, structuredClone(item));
    return {};
  });
  stub
    .on(GetCommand, { TableName: LIVE_TOKENS_TABLE })
    .callsFake((input) => ({ Item: structuredClone(items.get(String(input.Key?.tokenHash))) }));
  return items;
}
