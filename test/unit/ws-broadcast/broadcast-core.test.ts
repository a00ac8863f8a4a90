import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BroadcastDeps, broadcastRecords } from '../../../lambdas/ws-broadcast/broadcast-core.js';
import { leasesKey } from '../../../lambdas/ws-broadcast/connection-leases.js';
import { LoadShedder } from '../../../lambdas/ws-broadcast/load-shedding.js';
import { fakeTiming, kinesisEvent, kinesisRecord, silentLog, storedEvent } from '../../helpers/factories.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
// A second after the factories' events were received: batches are on time (`load-shedding.ts`).
const NOW = new Date('2026-01-15T10:20:32.000Z');
const LIVE = Math.floor(NOW.getTime() / 1000) + 3600;
const DEADLINE = NOW.getTime() + 10_000;

function deps(overrides: Partial<BroadcastDeps> = {}): BroadcastDeps {
  return {
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: 'connections',
    management: new ApiGatewayManagementApiClient({ region: 'eu-west-1', endpoint: 'http://ws' }),
    now: () => NOW,
    log: silentLog,
    timing: fakeTiming(NOW.getTime()),
    metrics: new RecordedMetrics(),
    shedder: new LoadShedder(),
    ...overrides,
  };
}

function posted(): { connectionId: string; frame: { type: string; events: { event_id: string }[] } }[] {
  return management.commandCalls(PostToConnectionCommand).map((call) => ({
    connectionId: call.args[0].input.ConnectionId ?? '',
    frame: JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')),
  }));
}

describe('broadcastRecords', () => {
  beforeEach(() => {
    dynamo.reset();
    management.reset();
  });

  it("pushes an account's events to its connections, filtered by their subscribed types and users", async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({
      Items: [
        { connectionId: 'all', accountId: 'acct-1', expiresAt: LIVE },
        { connectionId: 'logins', accountId: 'acct-1', expiresAt: LIVE, types: ['login'] },
        { connectionId: 'ann', accountId: 'acct-1', expiresAt: LIVE, users: ['ann'] },
        {
          connectionId: 'ann-logins',
          accountId: 'acct-1',
          expiresAt: LIVE,
          types: ['login'],
          users: ['ann'],
        },
        { connectionId: 'expired', accountId: 'acct-1', expiresAt: LIVE - 7200 },
      ],
    });
    management.on(PostToConnectionCommand).resolves({});
    const events = [
      storedEvent({ event_id: 'p', type: 'page_view', user_id: 'ann' }),
      storedEvent({ event_id: 'l', type: 'login', user_id: 'bob' }),
      storedEvent({ event_id: 'a', type: 'login', anonymous_id: 'ann' }),
    ];

    // Act
    const outcome = await broadcastRecords(kinesisEvent(events).Records, deps(), DEADLINE);

    // Assess
    expect(outcome.response).toEqual({ batchItemFailures: [] });
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      IndexName: 'by-account',
      ExpressionAttributeValues: { ':accountId': 'acct-1' },
    });
    expect(
      posted()
        .map(({ connectionId, frame }) => [
          connectionId,
          frame.type,
          frame.events.map((event) => event.event_id),
        ])
        .sort(),
    ).toEqual([
      ['all', 'events', ['p', 'l', 'a']],
      ['ann', 'events', ['p', 'a']],
      ['ann-logins', 'events', ['a']],
      ['logins', 'events', ['l', 'a']],
    ]);
  });

  it('deletes a connection that answers 410 Gone, releases its lease, and carries on with the others', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({
      Items: [
        { connectionId: 'gone', accountId: 'acct-1', expiresAt: LIVE },
        { connectionId: 'alive', accountId: 'acct-1', expiresAt: LIVE },
      ],
    });
    dynamo.on(DeleteCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    management
      .on(PostToConnectionCommand, { ConnectionId: 'gone' })
      .rejects(new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } }))
      .on(PostToConnectionCommand, { ConnectionId: 'alive' })
      .resolves({});

    // Act
    const outcome = await broadcastRecords(kinesisEvent([storedEvent()]).Records, deps(), DEADLINE);

    // Assess
    expect(dynamo.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
      { connectionId: 'gone' },
    ]);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: leasesKey('acct-1'),
      ExpressionAttributeNames: { '#c0': 'gone' },
    });
    expect(outcome.counts).toMatchObject({ frames: 1, gone: 1 });
    expect(outcome.response.batchItemFailures).toEqual([]);
  });

  it('does not fail the batch when a post fails for another reason', async () => {
    // Prepare
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [{ connectionId: 'c1', accountId: 'acct-1', expiresAt: LIVE }] });
    management.on(PostToConnectionCommand).rejects(new Error('throttled'));

    // Act
    const outcome = await broadcastRecords(kinesisEvent([storedEvent()]).Records, deps(), DEADLINE);

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts.postFailures).toBe(1);
    expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('splits a large batch into several frames of at most 32 KB', async () => {
    // Prepare
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [{ connectionId: 'c1', accountId: 'acct-1', expiresAt: LIVE }] });
    management.on(PostToConnectionCommand).resolves({});
    const events = Array.from({ length: 10 }, () =>
      storedEvent({ properties: { text: 'x'.repeat(10_000) } }),
    );

    // Act
    await broadcastRecords(kinesisEvent(events).Records, deps(), DEADLINE);

    // Assess
    const frames = management
      .commandCalls(PostToConnectionCommand)
      .map((call) => (call.args[0].input.Data as Uint8Array).byteLength);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const bytes of frames) expect(bytes).toBeLessThanOrEqual(32 * 1024);
    expect(posted().flatMap(({ frame }) => frame.events)).toHaveLength(10);
  });

  it('pushes an event too large for a frame in a truncated form, flagged, beside whole ones', async () => {
    // Prepare
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [{ connectionId: 'c1', accountId: 'acct-1', expiresAt: LIVE }] });
    management.on(PostToConnectionCommand).resolves({});
    const big = storedEvent({ event_id: 'big', path: '/big', properties: { text: 'x'.repeat(33_000) } });
    const small = storedEvent({ event_id: 'small' });

    // Act
    const outcome = await broadcastRecords(kinesisEvent([big, small]).Records, deps(), DEADLINE);

    // Assess
    const pushed = posted().flatMap(({ frame }) => frame.events) as Record<string, unknown>[];
    expect(pushed.map((event) => event.event_id)).toEqual(['big', 'small']);
    expect(pushed[0]).toMatchObject({ event_id: 'big', path: '/big', truncated: true });
    expect(pushed[0]).not.toHaveProperty('properties');
    expect(pushed[1]).not.toHaveProperty('truncated');
    expect(outcome.counts.truncated).toBe(1);
  });

  it("does not let an account with thousands of viewers hold another's behind them, nor run past the deadline", async () => {
    // Prepare: acct-big has 2,000 connections, acct-small one; each post takes 100 ms of the clock.
    const timing = fakeTiming(NOW.getTime());
    dynamo.on(QueryCommand).callsFake((input) => {
      const accountId = input.ExpressionAttributeValues[':accountId'];
      const count = accountId === 'acct-big' ? 2000 : 1;
      return {
        Items: Array.from({ length: count }, (_, index) => ({
          connectionId: `${accountId}-${index}`,
          accountId,
          expiresAt: LIVE,
        })),
      };
    });
    management.on(PostToConnectionCommand).callsFake(async () => {
      await timing.sleep(100);
      return {};
    });
    const events = [
      storedEvent({ event_id: 'big', account_id: 'acct-big' }),
      storedEvent({ event_id: 'small', account_id: 'acct-small' }),
    ];

    // Act: 10 s to the deadline, 25 posts in flight.
    const outcome = await broadcastRecords(kinesisEvent(events).Records, deps({ timing }), DEADLINE);

    // Assess: the small account's viewer got its frame among the first posts; no post started after
    // the deadline; the frames left are skipped, and the batch is not failed (live push is best effort).
    const order = posted().map((post) => post.connectionId);
    expect(order.indexOf('acct-small-0')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('acct-small-0')).toBeLessThan(25);
    expect(timing.now()).toBeLessThanOrEqual(DEADLINE + 100);
    expect(outcome.counts.frames + outcome.counts.skipped).toBe(2001);
    expect(outcome.counts.skipped).toBeGreaterThan(0);
    expect(outcome.response.batchItemFailures).toEqual([]);
  });

  it("sheds a heavy account's frames from a late batch, telling its viewers, and pushes a light account's", async () => {
    // Prepare: a batch whose events were received 21 s ago (live push is behind); acct-heavy has 100
    // viewers, acct-light one
    dynamo.on(QueryCommand).callsFake((input) => {
      const accountId = input.ExpressionAttributeValues[':accountId'];
      const count = accountId === 'acct-heavy' ? 100 : 1;
      return {
        Items: Array.from({ length: count }, (_, index) => ({
          connectionId: `${accountId}-${index}`,
          accountId,
          expiresAt: LIVE,
        })),
      };
    });
    management.on(PostToConnectionCommand).resolves({});
    const events = [
      storedEvent({ event_id: 'heavy', account_id: 'acct-heavy' }),
      storedEvent({ event_id: 'light', account_id: 'acct-light' }),
    ];
    const later = new Date(NOW.getTime() + 20_000);

    // Act
    const outcome = await broadcastRecords(
      kinesisEvent(events).Records,
      deps({ now: () => later, shedder: new LoadShedder() }),
      later.getTime() + 10_000,
    );

    // Assess: the light account's viewer got its event; the heavy one's viewers a notice instead
    const frames = posted();
    expect(frames.find((post) => post.connectionId === 'acct-light-0')?.frame.events[0]?.event_id).toBe(
      'light',
    );
    const heavy = frames.filter((post) => post.connectionId.startsWith('acct-heavy-'));
    expect(heavy).toHaveLength(100);
    expect(heavy.every((post) => post.frame.type === 'dropped')).toBe(true);
    expect(outcome.counts).toMatchObject({ shed: 100, frames: 101 });
    expect(outcome.response.batchItemFailures).toEqual([]);
  });

  it("retries, then reports, the events of an account whose connections cannot be listed; the others' are pushed", async () => {
    // Prepare: listing acct-2's connections is throttled throughout
    dynamo.on(QueryCommand).callsFake((input) => {
      if (input.ExpressionAttributeValues[':accountId'] === 'acct-2')
        throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
      return { Items: [{ connectionId: 'c1', accountId: 'acct-1', expiresAt: LIVE }] };
    });
    management.on(PostToConnectionCommand).resolves({});
    const metrics = new RecordedMetrics();
    const events = [storedEvent({ event_id: 'a' }), storedEvent({ event_id: 'b', account_id: 'acct-2' })];

    // Act
    const outcome = await broadcastRecords(kinesisEvent(events).Records, deps({ metrics }), DEADLINE);

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000002' }]);
    expect(outcome.counts).toMatchObject({ done: 1, failed: 1, deadLettered: 0 });
    expect(outcome.counts.retried).toBeGreaterThan(0);
    expect(metrics.totals).toMatchObject({ EventsPushed: 1, EventsFailed: 1 });
  });

  it('skips an undecodable record without dead-lettering it (the durable consumers do)', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({ Items: [] });

    // Act
    const outcome = await broadcastRecords([kinesisRecord('not json')], deps(), DEADLINE);

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 0 });
  });
});

describe('broadcasting a batch from many accounts', () => {
  beforeEach(() => {
    dynamo.reset();
    management.reset();
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => vi.useRealTimers());

  it('lists the connections of 100 accounts in far less time than 100 queries in a row', async () => {
    // Prepare: one event from each of 100 accounts; each account's Query takes 50 ms.
    const queryMs = 50;
    dynamo.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
      await new Promise((resolve) => setTimeout(resolve, queryMs));
      const accountId = input.ExpressionAttributeValues?.[':accountId'] as string;
      return { Items: [{ connectionId: `viewer-of-${accountId}`, accountId, expiresAt: LIVE }] };
    });
    management.on(PostToConnectionCommand).resolves({});
    const events = Array.from({ length: 100 }, (_, index) => storedEvent({ account_id: `acct-${index}` }));
    const clock = {
      now: () => Date.now(),
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      random: () => 0.5,
    };

    // Act
    const started = Date.now();
    let finishedAt = 0;
    const broadcast = broadcastRecords(
      kinesisEvent(events).Records,
      deps({ now: () => new Date(), timing: clock }),
      started + 20_000,
    ).finally(() => {
      finishedAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(20_000);
    const outcome = await broadcast;

    // Assess: every viewer got its account's event, the listing took a few rounds of queries, not 100.
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(management.commandCalls(PostToConnectionCommand)).toHaveLength(100);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(100);
    expect(finishedAt - started).toBeLessThanOrEqual(10 * queryMs);
  });
});
