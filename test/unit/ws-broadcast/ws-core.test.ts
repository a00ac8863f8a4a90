import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../../lambdas/shared/api-keys.js';
import type { HttpError } from '../../../lambdas/shared/http.js';
import { connect, handleMessage } from '../../../lambdas/ws-broadcast/ws-core.js';
import { silentLog } from '../../helpers/factories.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
const KEYS: Record<string, ApiKeyRecord> = {
  'rk-1': { accountId: 'acct-1', scope: 'read' },
  'wk-1': { accountId: 'acct-1', scope: 'write' },
};
const NOW = new Date('2026-01-15T10:30:00.000Z');

const documentClient = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const connectDeps = () => ({
  dynamo: documentClient(),
  tableName: 'connections',
  lookupApiKey: async (key: string) => KEYS[key],
  now: () => NOW,
  log: silentLog,
});
const messageDeps = () => ({
  dynamo: documentClient(),
  tableName: 'connections',
  management: new ApiGatewayManagementApiClient({ region: 'eu-west-1', endpoint: 'http://ws' }),
  log: silentLog,
});

function replies(): unknown[] {
  return management
    .commandCalls(PostToConnectionCommand)
    .map((call) => JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')));
}

describe('connect', () => {
  beforeEach(() => {
    dynamo.reset();
  });

  it('records the connection of a read key with a 2 hour TTL', async () => {
    // Prepare
    dynamo.on(PutCommand).resolves({});

    // Act
    await connect({ connectionId: 'c1', token: 'rk-1' }, connectDeps());

    // Assess
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      connectionId: 'c1',
      accountId: 'acct-1',
      connectedAt: '2026-01-15T10:30:00.000Z',
      expiresAt: NOW.getTime() / 1000 + 7200,
    });
  });

  it('rejects a missing token with 401 and a write key with 403', async () => {
    // Act
    const outcomes = await Promise.all(
      [undefined, 'wk-1'].map((token) =>
        connect({ connectionId: 'c1', token }, connectDeps()).then(
          () => undefined,
          (error: HttpError) => error.statusCode,
        ),
      ),
    );

    // Assess
    expect(outcomes).toEqual([401, 403]);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('handleMessage', () => {
  beforeEach(() => {
    dynamo.reset();
    management.reset();
    management.on(PostToConnectionCommand).resolves({});
  });

  it('stores the type filter of a subscribe and acks it', async () => {
    // Prepare
    dynamo.on(UpdateCommand).resolves({});

    // Act
    await handleMessage(
      {
        connectionId: 'c1',
        body: JSON.stringify({ action: 'subscribe', types: ['login', 'page_view', 'login'] }),
      },
      messageDeps(),
    );

    // Assess
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { connectionId: 'c1' },
      UpdateExpression: 'SET #types = :types',
      ExpressionAttributeValues: { ':types': ['login', 'page_view'] },
      ConditionExpression: 'attribute_exists(connectionId)',
    });
    expect(replies()).toEqual([{ type: 'subscribed', types: ['login', 'page_view'] }]);
  });

  it('answers ping with pong', async () => {
    // Act
    await handleMessage({ connectionId: 'c1', body: '{"action":"ping"}' }, messageDeps());

    // Assess
    expect(replies()).toEqual([{ type: 'pong' }]);
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
  });
});
