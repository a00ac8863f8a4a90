import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createApiKeyLookup,
  createKeyHashLookup,
  hashApiKey,
  parseRecord,
} from '../../../lambdas/shared/api-keys.js';

const dynamo = mockClient(DynamoDBDocumentClient);

describe('api keys', () => {
  beforeEach(() => {
    dynamo.reset();
  });

  it('hashes a key to lowercase sha256 hex', () => {
    // Act
    const hash = hashApiKey('abc');

    // Assess
    expect(hash).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('looks a key up by its hash and caches a found key until the TTL passes', async () => {
    // Prepare
    let now = 0;
    dynamo
      .on(GetCommand)
      .resolves({ Item: { keyHash: hashApiKey('k'), accountId: 'acct-1', scope: 'read' } });
    const lookup = createApiKeyLookup({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'api-keys',
      ttlMs: 1000,
      now: () => now,
    });

    // Act
    const first = await lookup('k');
    await lookup('k');
    now = 1500;
    await lookup('k');

    // Assess
    expect(first).toEqual({ accountId: 'acct-1', scope: 'read' });
    const calls = dynamo.commandCalls(GetCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args[0].input).toEqual({ TableName: 'api-keys', Key: { keyHash: hashApiKey('k') } });
  });

  it('reads a key again when the clock is stepped back: a revoked key is not kept for as long as the step', async () => {
    // Prepare
    let now = 3_600_000;
    const item = { keyHash: hashApiKey('k'), accountId: 'acct-1', scope: 'write' };
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: item })
      .resolves({ Item: { ...item, revokedAt: 'now' } });
    const lookup = createApiKeyLookup({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'api-keys',
      ttlMs: 60_000,
      now: () => now,
    });
    const cached = await lookup('k');

    // Act: NTP steps the clock back an hour, then the key is used again (it was revoked meanwhile)
    now -= 3_600_000;
    const afterStep = await lookup('k');

    // Assess
    expect(cached).toEqual({ accountId: 'acct-1', scope: 'write' });
    expect(afterStep).toBeUndefined();
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('reads every lookup strongly consistently and caches nothing with a TTL of 0, as $connect asks', async () => {
    // Prepare
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: { accountId: 'acct-1', scope: 'read' } })
      .resolves({ Item: { accountId: 'acct-1', scope: 'read', revokedAt: '2026-01-15T10:00:00.000Z' } });
    const lookup = createKeyHashLookup({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'api-keys',
      ttlMs: 0,
      consistentRead: true,
    });

    // Act
    const before = await lookup('hash-1');
    const afterRevocation = await lookup('hash-1');

    // Assess
    expect(before).toEqual({ accountId: 'acct-1', scope: 'read' });
    expect(afterRevocation).toBeUndefined();
    expect(dynamo.commandCalls(GetCommand).map((call) => call.args[0].input.ConsistentRead)).toEqual([
      true,
      true,
    ]);
  });

  it('does not cache an unknown key', async () => {
    // Prepare
    dynamo
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: { accountId: 'acct-1', scope: 'write' } });
    const lookup = createApiKeyLookup({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'api-keys',
    });

    // Act
    const before = await lookup('new-key');
    const after = await lookup('new-key');

    // Assess
    expect(before).toBeUndefined();
    expect(after).toEqual({ accountId: 'acct-1', scope: 'write' });
  });

  it.each([
    ['a rate of 0', { rateLimit: 0, burstLimit: 0 }],
    ['a negative rate', { rateLimit: -5, burstLimit: 10 }],
    ['a fractional rate', { rateLimit: 0.5, burstLimit: 1 }],
    ['a rate without a burst', { rateLimit: 5 }],
  ])('reads a key item with %s (edited by hand) as a key of the default limits', (_case, limits) => {
    // Act
    const record = parseRecord({ accountId: 'acct-1', scope: 'write', keyId: 'key_1', ...limits });

    // Assess
    expect(record).toEqual({ accountId: 'acct-1', scope: 'write', keyId: 'key_1' });
  });

  it("keeps a key item's own limits", () => {
    // Act
    const record = parseRecord({ accountId: 'acct-1', scope: 'read', rateLimit: 5, burstLimit: 10 });

    // Assess
    expect(record).toEqual({ accountId: 'acct-1', scope: 'read', rateLimit: 5, burstLimit: 10 });
  });
});
