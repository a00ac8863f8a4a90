/**
 * The per-account connection limit of `$connect` on DynamoDB Local's connections table, as the local
 * stack created it: environments racing `$connect` for one account admit exactly the limit, another
 * account is never refused by it, and a place freed by `$disconnect`, by the expiry of a connection, by
 * the broadcaster forgetting a gone connection, or by a connection item deleted without its lease can be
 * taken again.
 */
import { randomUUID } from 'node:crypto';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeyHashLookup } from '../../lambdas/shared/api-keys.js';
import type { HttpError } from '../../lambdas/shared/http.js';
import { verifyLiveToken } from '../../lambdas/shared/live-tokens.js';
import { RECONCILE_INTERVAL_SECONDS } from '../../lambdas/ws-broadcast/connection-leases.js';
import { CONNECTION_TTL_SECONDS, isConnectionOpen } from '../../lambdas/ws-broadcast/connections.js';
import { type ConnectDeps, connect, disconnect } from '../../lambdas/ws-broadcast/ws-core.js';
import { API_STAGE } from '../../lib/topology.js';
import type { DevAccount } from '../../local/accounts.js';
import { localDynamoDb } from '../../local/services/local-clients.js';
import { silentLog } from '../helpers/factories.js';
import {
  eventually,
  givenAnAccount,
  liveToken,
  localStack,
  postEvents,
  someEvents,
} from '../helpers/local-stack-client.js';

/** A small limit, so that a race of 20 is four times over it. */
const LIMIT = 5;

const clients: (DynamoDBDocumentClient | ApiGatewayManagementApiClient)[] = [];
afterAll(() => {
  for (const client of clients) client.destroy();
});

/**
 * One `$connect` execution environment: its own DynamoDB client, as each Lambda environment has, on
 * the local stack's tables. `clockOffsetMs` moves the connection's clock only (tokens stay valid).
 */
function environment(clockOffsetMs = 0): ConnectDeps {
  const stack = localStack();
  const dynamo = DynamoDBDocumentClient.from(
    localDynamoDb(stack.dynamodbUrl, { region: stack.region, maxAttempts: 3 }),
  );
  clients.push(dynamo);
  const liveTokens = { dynamo, tableName: stack.liveTokensTableName, now: () => new Date() };
  return {
    dynamo,
    tableName: stack.connectionsTableName,
    verifyToken: (token) => verifyLiveToken(liveTokens, token),
    lookupKeyHash: createKeyHashLookup({ client: dynamo, tableName: stack.apiKeysTableName }),
    now: () => new Date(Date.now() + clockOffsetMs),
    log: silentLog,
    maxConnectionsPerAccount: LIMIT,
  };
}

/** An environment that asks the local WebSocket gateway's @connections API whether a connection is open. */
function environmentAskingTheGateway(): ConnectDeps {
  const endpoint = `${localStack().websocketUrl.replace(/^ws/, 'http')}/${API_STAGE}`;
  const management = new ApiGatewayManagementApiClient({
    region: localStack().region,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(management);
  return { ...environment(), connectionIsOpen: (connectionId) => isConnectionOpen(management, connectionId) };
}

/** `$connect` of a new connection id: its id when admitted, the HTTP status when refused. */
async function tryConnect(token: string, deps: ConnectDeps): Promise<{ id?: string; status?: number }> {
  const id = `conn-${randomUUID()}`;
  try {
    await connect({ connectionId: id, token }, deps);
    return { id };
  } catch (error) {
    const status = (error as HttpError).statusCode;
    if (status === undefined) throw error;
    return { status };
  }
}

/** An account holding exactly `LIMIT` connections; their ids. */
async function givenAFullAccount(
  clockOffsetMs = 0,
): Promise<{ account: DevAccount; token: string; ids: string[] }> {
  const account = await givenAnAccount();
  const token = await liveToken(account.readKey);
  const deps = environment(clockOffsetMs);
  const ids: string[] = [];
  for (let index = 0; index < LIMIT; index += 1) {
    const { id, status } = await tryConnect(token, deps);
    if (!id) throw new Error(`connection ${index + 1} of ${LIMIT} refused with HTTP ${status}`);
    ids.push(id);
  }
  expect((await tryConnect(token, deps)).status).toBe(429);
  return { account, token, ids };
}

describe('the connection limit of an account', () => {
  it('admits exactly the limit when 20 environments race $connect, and never refuses another account', async () => {
    // Given an account, another account, and 20 execution environments
    const [account, other] = await Promise.all([givenAnAccount(), givenAnAccount()]);
    const [token, otherToken] = await Promise.all([liveToken(account.readKey), liveToken(other.readKey)]);
    const environments = Array.from({ length: 20 }, () => environment());

    // When every environment connects for the account at once, and the other account connects meanwhile
    const [verdicts, otherVerdicts] = await Promise.all([
      Promise.all(environments.map((deps) => tryConnect(token, deps))),
      Promise.all(environments.slice(0, LIMIT).map((deps) => tryConnect(otherToken, deps))),
    ]);

    // Then exactly the limit is admitted and the others are refused with 429; the other account is not
    expect(verdicts.filter((verdict) => verdict.id).length).toBe(LIMIT);
    expect(verdicts.filter((verdict) => verdict.status === 429).length).toBe(20 - LIMIT);
    expect(otherVerdicts.every((verdict) => verdict.id)).toBe(true);
  });

  it('admits again once connections disconnect, never more than they freed, even racing', async () => {
    // Given a full account and 10 environments
    const { token, ids } = await givenAFullAccount();
    const environments = Array.from({ length: 10 }, () => environment());

    // When two of its connections disconnect while the 10 environments race to connect
    const [, verdicts] = await Promise.all([
      Promise.all(ids.slice(0, 2).map((id, index) => disconnect(id, environments[index] as ConnectDeps))),
      Promise.all(environments.map((deps) => tryConnect(token, deps))),
    ]);

    // Then at most the two freed places were taken, and once settled exactly the rest of them can be
    const admitted = verdicts.filter((verdict) => verdict.id).length;
    expect(admitted).toBeLessThanOrEqual(2);
    const deps = environments[0] as ConnectDeps;
    for (let place = admitted; place < 2; place += 1)
      expect((await tryConnect(token, deps)).id).toBeDefined();
    expect((await tryConnect(token, deps)).status).toBe(429);
  });

  it('admits again once its connections expire, without any $disconnect', async () => {
    // Given a full account
    const { token } = await givenAFullAccount();

    // When the connections' time is up (API Gateway ends a connection after 2 hours; TTL forgets it)
    const later = environment((CONNECTION_TTL_SECONDS + 1) * 1000);

    // Then the account may open the limit again
    const verdicts = [];
    for (let index = 0; index <= LIMIT; index += 1) verdicts.push(await tryConnect(token, later));
    expect(verdicts.map((verdict) => verdict.status ?? 'admitted')).toEqual([
      ...Array(LIMIT).fill('admitted'),
      429,
    ]);
  });

  it('admits again once a connection item is deleted without releasing its lease, at the next check (10 s)', async () => {
    // Given a full account, one of whose connection items is deleted as `keys revoke` deletes a gone one
    const { token, ids } = await givenAFullAccount();
    const deps = environment();
    await deps.dynamo.send(
      new DeleteCommand({ TableName: localStack().connectionsTableName, Key: { connectionId: ids[0] } }),
    );

    // When the account connects again, at once and once the leases may be checked again
    const atOnce = await tryConnect(token, deps);
    const later = await tryConnect(token, environment((RECONCILE_INTERVAL_SECONDS + 1) * 1000));

    // Then the lease left behind is reclaimed at the next check of the account's connections
    expect(atOnce.status).toBe(429);
    expect(later.id).toBeDefined();
  });

  it("admits again once the broadcaster forgot a gone connection (410) on the account's next event", async () => {
    // Given a full account whose connections are all gone from the gateway without `$disconnect`
    // (their ids were never connected there: the gateway answers 410 to a post), opened a minute ago
    // (a connection whose $connect may still be running is not forgotten)
    const { account, token } = await givenAFullAccount(-60_000);
    const deps = environment();

    // When the account posts an event, which the broadcaster tries to push to them
    expect((await postEvents(account.writeKey, someEvents(1))).status).toBe(202);

    // Then the account may connect again
    const verdict = await eventually(
      () => tryConnect(token, deps),
      (result) => result.id !== undefined,
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(verdict).toHaveProperty('id');
  });

  it('admits again at once when the gateway says connections are gone, without $disconnect or an event', async () => {
    // Given a full account whose connections, opened a minute ago, are unknown to the WebSocket gateway
    // (their ids never connected there: as if their `$disconnect` never ran)
    const { token } = await givenAFullAccount(-60_000);

    // When the account connects through a `$connect` that asks the gateway about its connections
    const deps = environmentAskingTheGateway();
    const verdicts = [];
    for (let index = 0; index <= LIMIT; index += 1) verdicts.push(await tryConnect(token, deps));

    // Then every place held by a gone connection is free again, and the limit still holds
    expect(verdicts.map((verdict) => verdict.status ?? 'admitted')).toEqual([
      ...Array(LIMIT).fill('admitted'),
      429,
    ]);
  });
});
