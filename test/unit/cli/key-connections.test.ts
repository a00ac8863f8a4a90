/**
 * Revoking a read key closes the live connections its tokens opened: found on the connections table's
 * account index by the key's hash, closed through the WebSocket management API (a connection already
 * gone is forgotten all the same), on the local gateway's endpoint or a deployed stage's.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { closeKeyConnections, managementEndpoint } from '../../../cli/commands/key-connections.js';
import { revoke } from '../../../cli/commands/keys.js';
import { keyTablesOf } from '../../../cli/commands/keys-store.js';
import { createOutput } from '../../../cli/output.js';
import type { Target } from '../../../cli/target.js';
import { leasesKey } from '../../../lambdas/ws-broadcast/connection-leases.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);

afterEach(() => {
  dynamo.reset();
  management.reset();
});

const READ_KEY_HASH = 'a'.repeat(64);

function aTarget(): Target {
  return {
    label: 'local',
    kind: 'local',
    region: 'us-east-1',
    resources: {
      websocketUrl: 'ws://127.0.0.1:3001',
      apiKeysTableName: 'api-keys',
      accountsTableName: 'accounts',
      connectionsTableName: 'connections',
    },
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    close: () => {},
  } as unknown as Target;
}

const connection = (connectionId: string) => ({
  connectionId,
  accountId: 'acct_a',
  keyHash: READ_KEY_HASH,
  connectedAt: '2026-11-22T10:00:00.000Z',
  expiresAt: 1_800_000_000,
});

describe('managementEndpoint', () => {
  it("is the local gateway's stage path, or the deployed stage's URL over HTTPS", () => {
    expect(
      managementEndpoint({ kind: 'local', resources: { websocketUrl: 'ws://127.0.0.1:3001' } } as Target),
    ).toBe('http://127.0.0.1:3001/prod');
    expect(
      managementEndpoint({
        kind: 'aws',
        resources: { websocketUrl: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/prod' },
      } as Target),
    ).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod');
  });
});

describe('closeKeyConnections', () => {
  it("closes the account's connections of the key, and forgets one already gone", async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({ Items: [connection('c1'), connection('c2')] });
    dynamo.on(DeleteCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    management
      .on(DeleteConnectionCommand, { ConnectionId: 'c1' })
      .resolves({})
      .on(DeleteConnectionCommand, { ConnectionId: 'c2' })
      .rejects(new GoneException({ message: 'gone', $metadata: {} }));
    const client = new ApiGatewayManagementApiClient({ region: 'us-east-1', endpoint: 'http://ws' });

    // Act
    const closed = await closeKeyConnections(
      { target: aTarget(), management: client },
      'acct_a',
      READ_KEY_HASH,
    );

    // Assess
    expect(closed).toBe(1);
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'connections',
      IndexName: 'by-account',
      FilterExpression: 'keyHash = :keyHash',
      ExpressionAttributeValues: { ':accountId': 'acct_a', ':keyHash': READ_KEY_HASH },
    });
    expect(dynamo.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
      { connectionId: 'c1' },
      { connectionId: 'c2' },
    ]);
    // Each gives its place under the account's connection limit back.
    expect(
      dynamo
        .commandCalls(UpdateCommand)
        .map((call) => [call.args[0].input.Key, call.args[0].input.ExpressionAttributeNames]),
    ).toEqual([
      [leasesKey('acct_a'), { '#c0': 'c1' }],
      [leasesKey('acct_a'), { '#c0': 'c2' }],
    ]);
  });
});

describe('keys revoke of a read key', () => {
  function captured() {
    const lines: string[] = [];
    const stream = { write: (text: string) => lines.push(text) > 0 } as never;
    return { output: createOutput({ stdout: stream, stderr: stream }), text: () => lines.join('') };
  }
  const readKey = {
    keyHash: READ_KEY_HASH,
    keyId: 'key_0123456789abcdef',
    accountId: 'acct_a',
    scope: 'read',
    prefix: 'rk_abcd',
    createdAt: '2026-11-21T10:00:00.000Z',
  };

  it('says how many live connections it closed', async () => {
    // Prepare
    dynamo.on(ScanCommand).resolves({ Items: [readKey] });
    dynamo.on(UpdateCommand).resolves({});
    dynamo.on(QueryCommand).resolves({ Items: [connection('c1')] });
    dynamo.on(DeleteCommand).resolves({});
    management.on(DeleteConnectionCommand).resolves({});
    const io = captured();

    // Act
    const code = await revoke(readKey.keyId, keyTablesOf(aTarget()), aTarget(), io.output);

    // Assess
    expect(code).toBe(0);
    expect(io.text()).toContain('Closed 1 live connection(s) opened with its tokens.');
    expect(management.commandCalls(DeleteConnectionCommand)[0]?.args[0].input).toEqual({
      ConnectionId: 'c1',
    });
  });

  it('fails, naming why, when the connections cannot be closed; the key stays revoked', async () => {
    // Prepare
    dynamo.on(ScanCommand).resolves({ Items: [readKey] });
    dynamo.on(UpdateCommand).resolves({});
    dynamo.on(QueryCommand).rejects(new Error('connections table unreachable'));
    const io = captured();

    // Act
    const code = await revoke(readKey.keyId, keyTablesOf(aTarget()), aTarget(), io.output);

    // Assess
    expect(code).toBe(1);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(io.text()).toContain('could not be closed');
    expect(io.text()).toContain('connections table unreachable');
  });
});
