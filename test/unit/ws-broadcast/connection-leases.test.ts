import {
  ApiGatewayManagementApiClient,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  forgetConnection,
  isLeasesKey,
  type LeaseRequest,
  type Leases,
  leasesKey,
  leasesToDrop,
  RECONCILE_INTERVAL_SECONDS,
  takeLease,
} from '../../../lambdas/ws-broadcast/connection-leases.js';
import { CONNECTING_SECONDS, isConnectionOpen } from '../../../lambdas/ws-broadcast/connections.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW_SECONDS = 1_768_473_000;
const deps = () => ({
  dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  tableName: 'connections',
});
const request = (overrides: Partial<LeaseRequest> = {}): LeaseRequest => ({
  accountId: 'acct-1',
  connectionId: 'new',
  expiresAt: NOW_SECONDS + 7200,
  nowSeconds: NOW_SECONDS,
  limit: 3,
  ...overrides,
});
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });
const live = NOW_SECONDS + 60;

/** The lease ids each REMOVE update dropped. */
function removed(): string[][] {
  return dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.UpdateExpression?.startsWith('REMOVE'))
    .map((input) => Object.values(input.ExpressionAttributeNames ?? {}));
}

describe('leasesToDrop', () => {
  it('drops exactly the leases that are expired or whose connection item is gone', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: -100, max: 100 })),
        fc.func(fc.boolean()),
        (offsets, exists) => {
          // Prepare
          const leases: Leases = Object.fromEntries(
            Object.entries(offsets).map(([id, offset]) => [id, NOW_SECONDS + offset]),
          );
          const existing = new Set(Object.keys(leases).filter((id) => exists(id)));

          // Act
          const dropped = new Set(leasesToDrop(leases, NOW_SECONDS, existing));

          // Assess: a lease is kept if and only if it is unexpired and its connection exists
          for (const [id, expiresAt] of Object.entries(leases)) {
            expect(dropped.has(id)).toBe(expiresAt <= NOW_SECONDS || !existing.has(id));
          }
        },
      ),
    );
  });
});

describe('leasesKey', () => {
  it('never names a connection, and never carries the account attribute the by-account index lists', () => {
    expect(isLeasesKey(leasesKey('acct-1').connectionId)).toBe(true);
    expect(isLeasesKey('L0SM9cOFvHcCIhw=')).toBe(false);
    expect(Object.keys(leasesKey('acct-1'))).toEqual(['connectionId']);
  });
});

describe('takeLease', () => {
  beforeEach(() => dynamo.reset());

  it('takes a lease with one conditional update while the account is under its limit', async () => {
    // Prepare
    dynamo.on(UpdateCommand).resolves({});

    // Act
    const taken = await takeLease(deps(), request());

    // Assess
    expect(taken).toBe(true);
    expect(dynamo.calls()).toHaveLength(1);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: leasesKey('acct-1'),
      ConditionExpression: 'size(leases) < :limit',
      ExpressionAttributeNames: { '#connection': 'new' },
      ExpressionAttributeValues: { ':limit': 3, ':expiresAt': NOW_SECONDS + 7200 },
    });
  });

  it("creates the account's leases item on its first connection", async () => {
    // Prepare: no item yet, so the size condition fails
    dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({}).on(GetCommand).resolves({});

    // Act
    const taken = await takeLease(deps(), request());

    // Assess
    expect(taken).toBe(true);
    expect(dynamo.commandCalls(UpdateCommand)[1]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(leases)',
      ExpressionAttributeValues: { ':leases': { new: NOW_SECONDS + 7200 } },
    });
  });

  it('refuses when every lease holds a live connection, dropping none', async () => {
    // Prepare
    dynamo
      .on(UpdateCommand)
      .rejects(conditionFailed())
      .on(GetCommand)
      .resolves({ Item: { leases: { a: live, b: live, c: live } } })
      .on(BatchGetCommand)
      .resolves({
        Responses: { connections: [{ connectionId: 'a' }, { connectionId: 'b' }, { connectionId: 'c' }] },
      });

    // Act
    const taken = await takeLease(deps(), request());

    // Assess
    expect(taken).toBe(false);
    expect(removed()).toEqual([]);
    expect(dynamo.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.connections).toMatchObject({
      ConsistentRead: true,
    });
  });

  it('drops expired leases and leases of deleted connections, then takes the freed place', async () => {
    // Prepare: 'a' expired, 'b' has no connection item any more (unprocessed once), 'c' is live
    dynamo
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed())
      .resolves({})
      .on(GetCommand)
      .resolves({ Item: { leases: { a: NOW_SECONDS, b: live, c: live } } })
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { connections: [] },
        UnprocessedKeys: { connections: { Keys: [{ connectionId: 'b' }, { connectionId: 'c' }] } },
      })
      .resolves({ Responses: { connections: [{ connectionId: 'c' }] } });

    // Act
    const taken = await takeLease(deps(), request());

    // Assess
    expect(taken).toBe(true);
    expect(removed()).toEqual([['a', 'b']]);
    expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(2);
  });

  it('reads the connections at most once in 10 s for a full account, still dropping expired leases', async () => {
    // Prepare: reconciled 5 s ago; 'a' expired since, 'b' and 'c' live
    dynamo
      .on(UpdateCommand)
      .rejects(conditionFailed())
      .on(GetCommand)
      .resolves({
        Item: {
          leases: { a: NOW_SECONDS - 1, b: live, c: live },
          reconciledAt: NOW_SECONDS - RECONCILE_INTERVAL_SECONDS / 2,
        },
      });

    // Act
    const taken = await takeLease(deps(), request());

    // Assess: the expired lease is dropped without a read of the connections (its place was taken
    // again by another connect meanwhile, so this one is refused)
    expect(taken).toBe(false);
    expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(removed()[0]).toEqual(['a']);
  });

  it('notes when it read the connections of a full account', async () => {
    // Prepare
    dynamo
      .on(UpdateCommand)
      .rejects(conditionFailed())
      .on(GetCommand)
      .resolves({ Item: { leases: { a: live, b: live, c: live }, reconciledAt: NOW_SECONDS - 60 } })
      .on(BatchGetCommand)
      .resolves({
        Responses: { connections: [{ connectionId: 'a' }, { connectionId: 'b' }, { connectionId: 'c' }] },
      });

    // Act
    await takeLease(deps(), request());

    // Assess
    const noted = dynamo
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.UpdateExpression === 'SET reconciledAt = :now');
    expect(noted?.ExpressionAttributeValues).toEqual({ ':now': NOW_SECONDS });
    expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(1);
  });

  it('drops the leases of connections API Gateway says are gone, deletes their items, then takes the place', async () => {
    // Prepare: every item exists; 'a' and 'b' connected long ago, 'c' a moment ago; API Gateway calls
    // 'a' gone, 'b' open, and is never asked about 'c'
    const asked: string[] = [];
    const settled = new Date((NOW_SECONDS - CONNECTING_SECONDS) * 1000).toISOString();
    const young = new Date((NOW_SECONDS - 1) * 1000).toISOString();
    dynamo
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed())
      .resolves({})
      .on(GetCommand)
      .resolves({ Item: { leases: { a: live, b: live, c: live } } })
      .on(BatchGetCommand)
      .resolves({
        Responses: {
          connections: [
            { connectionId: 'a', connectedAt: settled },
            { connectionId: 'b', connectedAt: settled },
            { connectionId: 'c', connectedAt: young },
          ],
        },
      })
      .on(DeleteCommand)
      .resolves({});
    const connectionIsOpen = async (connectionId: string) => {
      asked.push(connectionId);
      return connectionId !== 'a';
    };

    // Act
    const taken = await takeLease({ ...deps(), connectionIsOpen }, request());

    // Assess
    expect(taken).toBe(true);
    expect(asked.sort()).toEqual(['a', 'b']);
    expect(removed()).toEqual([['a']]);
    expect(dynamo.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
      { connectionId: 'a' },
    ]);
  });

  it('refuses when API Gateway holds every connection open, deleting nothing', async () => {
    // Prepare
    const settled = new Date((NOW_SECONDS - 600) * 1000).toISOString();
    dynamo
      .on(UpdateCommand)
      .rejects(conditionFailed())
      .on(GetCommand)
      .resolves({ Item: { leases: { a: live, b: live, c: live } } })
      .on(BatchGetCommand)
      .resolves({
        Responses: {
          connections: ['a', 'b', 'c'].map((connectionId) => ({ connectionId, connectedAt: settled })),
        },
      });

    // Act
    const taken = await takeLease({ ...deps(), connectionIsOpen: async () => true }, request());

    // Assess
    expect(taken).toBe(false);
    expect(removed()).toEqual([]);
    expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('asks again when a place was freed between its update and its read', async () => {
    // Prepare
    dynamo
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed())
      .resolves({})
      .on(GetCommand)
      .resolves({ Item: { leases: { a: live } } });

    // Act
    const taken = await takeLease(deps(), request());

    // Assess
    expect(taken).toBe(true);
    expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});

describe('forgetConnection', () => {
  beforeEach(() => dynamo.reset());

  it('deletes the connection and releases its lease under the account the item names', async () => {
    // Prepare
    dynamo.on(DeleteCommand).resolves({ Attributes: { connectionId: 'c1', accountId: 'acct-9' } });
    dynamo.on(UpdateCommand).resolves({});

    // Act
    await forgetConnection(deps(), 'c1');

    // Assess
    expect(dynamo.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      Key: { connectionId: 'c1' },
      ReturnValues: 'ALL_OLD',
    });
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: leasesKey('acct-9'),
      ConditionExpression: 'attribute_exists(leases)',
      ExpressionAttributeNames: { '#c0': 'c1' },
    });
  });

  it('releases the lease of a connection already deleted when the caller knows its account, and nothing else', async () => {
    // Prepare: the item is gone; the account has no leases item either
    dynamo.on(DeleteCommand).resolves({});
    dynamo.on(UpdateCommand).rejects(conditionFailed());

    // Act
    await forgetConnection(deps(), 'c1', 'acct-1');
    await forgetConnection(deps(), 'c2');

    // Assess
    expect(removed()).toEqual([['c1']]);
  });
});

describe('isConnectionOpen', () => {
  const management = mockClient(ApiGatewayManagementApiClient);
  const client = () =>
    new ApiGatewayManagementApiClient({ region: 'eu-west-1', endpoint: 'https://ws.test/prod' });
  beforeEach(() => management.reset());

  it('is false only when API Gateway answers 410 Gone', async () => {
    // Prepare
    management
      .on(GetConnectionCommand, { ConnectionId: 'gone' })
      .rejects(new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } }))
      .on(GetConnectionCommand, { ConnectionId: 'open' })
      .resolves({ ConnectedAt: new Date() })
      .on(GetConnectionCommand, { ConnectionId: 'unknown' })
      .rejects(new ForbiddenException({ message: 'throttled', $metadata: { httpStatusCode: 403 } }));

    // Act
    const answers = await Promise.all(
      ['gone', 'open', 'unknown'].map((id) => isConnectionOpen(client(), id)),
    );

    // Assess: a failure that says nothing about the connection keeps it (and its place)
    expect(answers).toEqual([false, true, true]);
  });
});
