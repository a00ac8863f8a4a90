import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../../lambdas/shared/api-keys.js';
import type { HttpError } from '../../../lambdas/shared/http.js';
import type { LiveGrant } from '../../../lambdas/shared/live-tokens.js';
import { leasesKey } from '../../../lambdas/ws-broadcast/connection-leases.js';
import { MAX_CONNECTIONS_PER_ACCOUNT } from '../../../lambdas/ws-broadcast/connections.js';
import { MAX_MESSAGES_PER_MINUTE } from '../../../lambdas/ws-broadcast/message-rate.js';
import { connect, handleMessage } from '../../../lambdas/ws-broadcast/ws-core.js';
import { silentLog } from '../../helpers/factories.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
const NOW = new Date('2026-01-15T10:30:00.000Z');
const TOKEN = `lt_${'a'.repeat(43)}`;
const EXPIRED_TOKEN = `lt_${'b'.repeat(43)}`;
const REVOKED_KEY_TOKEN = `lt_${'c'.repeat(43)}`;
const KEYLESS_TOKEN = `lt_${'d'.repeat(43)}`;
const grant = (keyHash?: string): LiveGrant => ({
  accountId: 'acct-1',
  ...(keyHash ? { keyHash } : {}),
  expiresAt: NOW.getTime() / 1000 + 600,
  sessionExpiresAt: 0,
});
/** What the live-tokens table would answer: the token's grant, or nothing for an expired one. */
const GRANTS: Record<string, LiveGrant> = {
  [TOKEN]: grant('hash-of-rk-1'),
  [REVOKED_KEY_TOKEN]: grant('hash-of-a-revoked-key'),
  [KEYLESS_TOKEN]: grant(),
};
/** The keys table: only the read key of TOKEN's session is still there. */
const KEYS: Record<string, ApiKeyRecord> = { 'hash-of-rk-1': { accountId: 'acct-1', scope: 'read' } };

const documentClient = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const connectDeps = () => ({
  dynamo: documentClient(),
  tableName: 'connections',
  verifyToken: async (token: string) => GRANTS[token],
  lookupKeyHash: async (keyHash: string) => KEYS[keyHash],
  now: () => NOW,
  log: silentLog,
});
const messageDeps = () => ({
  dynamo: documentClient(),
  tableName: 'connections',
  management: new ApiGatewayManagementApiClient({ region: 'eu-west-1', endpoint: 'http://ws' }),
  now: () => NOW,
  log: silentLog,
});

/** The updates of the connection's subscription, leaving out those counting its messages. */
function subscriptionUpdates() {
  return dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => !input.UpdateExpression?.includes('messageCount'));
}

function replies(): unknown[] {
  return management
    .commandCalls(PostToConnectionCommand)
    .map((call) => JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')));
}

describe('connect', () => {
  beforeEach(() => {
    dynamo.reset();
    dynamo.on(UpdateCommand).resolves({});
  });

  it("records the connection of a live token under the token's account and read key with a 2 hour TTL", async () => {
    // Prepare
    dynamo.on(PutCommand).resolves({});

    // Act
    await connect({ connectionId: 'c1', token: TOKEN }, connectDeps());

    // Assess
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      connectionId: 'c1',
      accountId: 'acct-1',
      connectedAt: '2026-01-15T10:30:00.000Z',
      expiresAt: NOW.getTime() / 1000 + 7200,
      keyHash: 'hash-of-rk-1',
    });
  });

  it('rejects with 401 a missing token, an API key, an unknown or expired token, and a token whose read key is revoked or unnamed', async () => {
    // Act
    const tokens = [
      undefined,
      '',
      'rk_a-read-key-of-the-account',
      EXPIRED_TOKEN,
      REVOKED_KEY_TOKEN,
      KEYLESS_TOKEN,
    ];
    const outcomes = await Promise.all(
      tokens.map((token) =>
        connect({ connectionId: 'c1', token }, connectDeps()).then(
          () => undefined,
          (error: HttpError) => [error.statusCode, error.message],
        ),
      ),
    );

    // Assess
    expect(outcomes).toEqual([
      [401, expect.stringContaining('missing token')],
      [401, expect.stringContaining('missing token')],
      [401, expect.stringContaining('API keys are not accepted here')],
      [401, 'unknown or expired live token'],
      [401, expect.stringContaining("the live token's read key is revoked")],
      [401, expect.stringContaining('live token without its read key')],
    ]);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("records the connection before its lease under the account's limit", async () => {
    // Prepare
    dynamo.on(PutCommand).resolves({});

    // Act
    await connect({ connectionId: 'c1', token: TOKEN }, connectDeps());

    // Assess: the item first (reconciliation drops a lease without one), then the lease
    expect(dynamo.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'PutCommand',
      'UpdateCommand',
    ]);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: leasesKey('acct-1'),
      ExpressionAttributeNames: { '#connection': 'c1' },
      ExpressionAttributeValues: {
        ':limit': MAX_CONNECTIONS_PER_ACCOUNT,
        ':expiresAt': NOW.getTime() / 1000 + 7200,
      },
    });
  });

  it("refuses with 429 a connection beyond the account's limit, and forgets its item", async () => {
    // Prepare: the account's 3 leases hold live connections; its limit is 3
    const live = NOW.getTime() / 1000 + 60;
    dynamo
      .on(PutCommand)
      .resolves({})
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))
      .on(GetCommand, { Key: leasesKey('acct-1') })
      .resolves({ Item: { leases: { a: live, b: live, c: live } } })
      .on(BatchGetCommand)
      .resolves({ Responses: { connections: ['a', 'b', 'c'].map((connectionId) => ({ connectionId })) } })
      .on(DeleteCommand)
      .resolves({ Attributes: { connectionId: 'c4', accountId: 'acct-1' } });

    // Act
    const refused = await connect(
      { connectionId: 'c4', token: TOKEN },
      { ...connectDeps(), maxConnectionsPerAccount: 3 },
    ).then(
      () => undefined,
      (error: HttpError) => error,
    );

    // Assess
    expect([refused?.statusCode, refused?.details.limit]).toEqual([429, 3]);
    expect(refused?.headers['Retry-After']).toBeDefined();
    expect(dynamo.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({ connectionId: 'c4' });
  });

  it('forgets its item and fails when the lease cannot be taken', async () => {
    // Prepare
    dynamo
      .on(PutCommand)
      .resolves({})
      .on(UpdateCommand, { Key: leasesKey('acct-1'), ConditionExpression: 'size(leases) < :limit' })
      .rejects(new Error('throttled'))
      .on(DeleteCommand)
      .resolves({ Attributes: { connectionId: 'c1', accountId: 'acct-1' } });

    // Act
    const failure = await connect({ connectionId: 'c1', token: TOKEN }, connectDeps()).then(
      () => undefined,
      (error: Error) => error.message,
    );

    // Assess
    expect(failure).toBe('throttled');
    expect(dynamo.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({ connectionId: 'c1' });
  });
});

describe('handleMessage', () => {
  beforeEach(() => {
    dynamo.reset();
    management.reset();
    management.on(PostToConnectionCommand).resolves({});
    dynamo.on(GetCommand).resolves({});
  });

  it('stores the type and user filter of a subscribe and acks it', async () => {
    // Prepare
    dynamo.on(UpdateCommand).resolves({});

    // Act
    await handleMessage(
      {
        connectionId: 'c1',
        body: JSON.stringify({ action: 'subscribe', types: ['login', 'page_view', 'login'], users: ['ann'] }),
      },
      messageDeps(),
    );

    // Assess
    expect(subscriptionUpdates()[0]).toMatchObject({
      Key: { connectionId: 'c1' },
      UpdateExpression: 'SET #types = :types, #users = :users',
      ExpressionAttributeValues: { ':types': ['login', 'page_view'], ':users': ['ann'] },
      ConditionExpression: 'attribute_exists(connectionId)',
    });
    expect(replies()).toEqual([{ type: 'subscribed', types: ['login', 'page_view'], users: ['ann'] }]);
  });

  it('removes the filters a subscribe leaves empty or out', async () => {
    // Prepare
    dynamo.on(UpdateCommand).resolves({});

    // Act
    await handleMessage(
      { connectionId: 'c1', body: JSON.stringify({ action: 'subscribe', users: ['ann'] }) },
      messageDeps(),
    );
    await handleMessage(
      { connectionId: 'c1', body: JSON.stringify({ action: 'subscribe', types: [], users: [] }) },
      messageDeps(),
    );

    // Assess
    const updates = subscriptionUpdates();
    expect(updates[0]).toMatchObject({
      UpdateExpression: 'SET #users = :users REMOVE #types',
      ExpressionAttributeValues: { ':users': ['ann'] },
    });
    expect(updates[1]?.UpdateExpression).toBe('REMOVE #types, #users');
    expect(updates[1]).not.toHaveProperty('ExpressionAttributeValues');
  });

  it('refuses a subscription to more than 100 users, to an empty user id or to a lone surrogate, naming the field', async () => {
    // Act
    await handleMessage(
      {
        connectionId: 'c1',
        body: JSON.stringify({ action: 'subscribe', users: Array.from({ length: 101 }, (_, i) => `u${i}`) }),
      },
      messageDeps(),
    );
    await handleMessage(
      { connectionId: 'c1', body: JSON.stringify({ action: 'subscribe', users: [''] }) },
      messageDeps(),
    );
    await handleMessage(
      { connectionId: 'c1', body: '{"action":"subscribe","users":["ann","\\ud800"]}' },
      messageDeps(),
    );

    // Assess
    expect(replies()).toMatchObject([
      { type: 'error', errors: [{ path: 'users', message: 'users may list at most 100 user ids' }] },
      { type: 'error', errors: [{ path: 'users.0', message: 'a user id must not be empty' }] },
      {
        type: 'error',
        errors: [{ path: 'users.1', message: expect.stringContaining('well-formed Unicode') }],
      },
    ]);
    expect(subscriptionUpdates()).toHaveLength(0);
  });

  it("refuses a subscribe naming a field beyond types and users (another account's id), changing nothing", async () => {
    // Prepare
    dynamo.on(UpdateCommand).resolves({});

    // Act
    await handleMessage(
      {
        connectionId: 'c1',
        body: JSON.stringify({ action: 'subscribe', account_id: 'acct-2', users: ['bob'] }),
      },
      messageDeps(),
    );

    // Assess
    expect(replies()).toMatchObject([
      {
        type: 'error',
        errors: [
          { path: '', message: expect.stringMatching(/^unknown field\(s\) account_id: .*own account/) },
        ],
      },
    ]);
    expect(subscriptionUpdates()).toHaveLength(0);
  });

  it('answers ping with pong', async () => {
    // Act
    await handleMessage({ connectionId: 'c1', body: '{"action":"ping"}' }, messageDeps());

    // Assess
    expect(replies()).toEqual([{ type: 'pong' }]);
  });

  it('counts each message in its minute, and closes a connection past 30 in one minute, telling it why', async () => {
    // Prepare: a connection at its limit this minute (its next count fails its condition), still known
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    dynamo.on(GetCommand).resolves({ Item: { connectionId: 'c1' } });
    management.on(DeleteConnectionCommand).resolves({});

    // Act
    await handleMessage({ connectionId: 'c1', body: '{"action":"ping"}' }, messageDeps());

    // Assess
    const minute = Math.floor(NOW.getTime() / 60_000);
    expect(dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toMatchObject([
      {
        Key: { connectionId: 'c1' },
        UpdateExpression: 'SET messageCount = messageCount + :one',
        ConditionExpression: 'messageMinute = :minute AND messageCount < :max',
        ExpressionAttributeValues: { ':minute': minute, ':max': MAX_MESSAGES_PER_MINUTE },
      },
      { UpdateExpression: 'SET messageMinute = :minute, messageCount = :one' },
    ]);
    expect(replies()).toEqual([{ type: 'error', message: expect.stringContaining('too many messages') }]);
    expect(management.commandCalls(DeleteConnectionCommand)[0]?.args[0].input).toEqual({
      ConnectionId: 'c1',
    });
  });

  it('answers an invalid message or an unknown connection with an error frame', async () => {
    // Prepare
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    // Act
    await handleMessage({ connectionId: 'c1', body: '{"action":"dance"}' }, messageDeps());
    await handleMessage({ connectionId: 'c1', body: '{"action":"subscribe","types":[]}' }, messageDeps());

    // Assess
    expect(replies()).toMatchObject([
      { type: 'error', message: expect.stringContaining('subscribe') },
      { type: 'error', message: 'unknown connection; reconnect' },
    ]);
    expect(management.commandCalls(DeleteConnectionCommand)).toHaveLength(0);
  });
});
