import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { broadcastRecords } from '../../../lambdas/ws-broadcast/broadcast-core.js';
import { LoadShedder } from '../../../lambdas/ws-broadcast/load-shedding.js';
import { kinesisEvent, silentLog, storedEvent } from '../../helpers/factories.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
// A second after the factories' events were received: the batch is on time (no shedding).
const NOW = new Date('2026-01-15T10:20:32.000Z');
const LIVE = Math.floor(NOW.getTime() / 1000) + 3600;
const QUERY_MS = 50;

describe('broadcasting a batch from many accounts', () => {
  beforeEach(() => {
    dynamo.reset();
    management.reset();
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => vi.useRealTimers());

  it('lists the connections of 100 accounts in far less time than 100 queries in a row', async () => {
    // Prepare: one event from each of 100 accounts; each account's Query takes 50 ms.
    dynamo.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
      await new Promise((resolve) => setTimeout(resolve, QUERY_MS));
      const accountId = input.ExpressionAttributeValues?.[':accountId'] as string;
      return { Items: [{ connectionId: `viewer-of-${accountId}`, accountId, expiresAt: LIVE }] };
    });
    management.on(PostToConnectionCommand).resolves({});
    const events = Array.from({ length: 100 }, (_, index) => storedEvent({ account_id: `acct-${index}` }));
    const deps = {
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'connections',
      management: new ApiGatewayManagementApiClient({ region: 'eu-west-1', endpoint: 'http://ws' }),
      now: () => new Date(),
      log: silentLog,
      timing: {
        now: () => Date.now(),
        sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
        random: () => 0.5,
      },
      metrics: new RecordedMetrics(),
      shedder: new LoadShedder(),
    };

    // Act
    const started = Date.now();
    const broadcast = broadcastRecords(kinesisEvent(events).Records, deps, started + 20_000);
    let finishedAt = 0;
    void broadcast.then(() => {
      finishedAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(20_000);
    const outcome = await broadcast;

    // Assess: every viewer got its account's event, the listing took a few rounds of queries, not 100.
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(management.commandCalls(PostToConnectionCommand)).toHaveLength(100);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(100);
    expect(finishedAt - started).toBeLessThanOrEqual(10 * QUERY_MS);
  });
});
