import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../lambdas/shared/event-schema.js';
import { applyRecords } from '../../../lambdas/stats/rollup-core.js';
import { bucketLabel, markerKey, stateOf } from '../../../lambdas/stats/rollup-model.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { fakeTiming, kinesisRecord, storedEvent } from '../../helpers/factories.js';
import { type FakeTable, fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import {
  ROLLUP_NOW,
  rollupDeadline,
  rollupDeps,
  shardRecords,
  totalIn,
} from '../../helpers/rollup-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const NOW = ROLLUP_NOW;
let table: FakeTable;

const deps = () => rollupDeps();
const deadline = rollupDeadline;
const records = shardRecords;

/** The merged state of every sub-item of one bucket label (all shards). */
function bucket(label: string) {
  const items = table.withPrefix('R#').filter((item) => String(item.pk).includes(`#${label}#`));
  return items.map((item) => stateOf(item));
}

const total = (label: string) => totalIn(table, label);

const someEvents = () => [
  storedEvent({
    event_id: 'a',
    type: 'page_view',
    user_id: 'u1',
    path: '/',
    timestamp: '2026-01-15T10:05:00.000Z',
  }),
  storedEvent({
    event_id: 'b',
    type: 'page_view',
    anonymous_id: 'anon',
    path: '/x',
    timestamp: '2026-01-15T10:45:10.000Z',
  }),
  storedEvent({
    event_id: 'c',
    type: 'purchase',
    user_id: 'u1',
    value: 12.5,
    timestamp: '2026-01-15T11:01:00.000Z',
  }),
];

describe('applyRecords', () => {
  beforeEach(() => {
    dynamo.reset();
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
    table = fakeRollupsTable(dynamo);
  });

  it('counts each event in its minute, hour, day and month sub-items of its shard', async () => {
    // Act
    const outcome = await applyRecords(records(someEvents()), deps(), deadline());

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts).toMatchObject({ done: 3, duplicate: 0, failed: 0 });
    expect(
      table
        .withPrefix('R#')
        .map((item) => item.pk)
        .sort(),
    ).toEqual(
      [
        'm2026-01-15T10:05',
        'm2026-01-15T10:45',
        'm2026-01-15T11:01',
        'h2026-01-15T10',
        'h2026-01-15T11',
        'd2026-01-15',
        'M2026-01',
      ]
        .map((label) => `R#6:acct-1#${label}#shardId-000000000000`)
        .sort(),
    );
    const [day] = bucket('d2026-01-15');
    expect(day?.total()).toBe(3);
    expect(
      Object.fromEntries([...(day?.types.types ?? [])].map(([type, entry]) => [type, entry.count])),
    ).toEqual({
      page_view: 2,
      purchase: 1,
    });
    expect(day?.types.types.get('purchase')?.value.toResponse()).toEqual({
      count: 1,
      sum: 12.5,
      min: 12.5,
      max: 12.5,
    });
    expect(day?.users.estimate()).toBe(2);
    expect(day?.topUsers.top(10)).toEqual([
      { key: 'u1', count: 2 },
      { key: 'anon', count: 1 },
    ]);
    expect(day?.topPaths.top(10).map(({ key }) => key)).toEqual(['/', '/x']);
    expect(table.withPrefix('S#6:acct-1')).toEqual([
      { pk: 'S#6:acct-1', sk: 'S', 'shard:shardId-000000000000': '2026-01-15' },
    ]);
  });

  it('claims one dedupe marker per event, naming the record that counted it', async () => {
    // Act
    await applyRecords(records(someEvents()), deps(), deadline());

    // Assess
    expect(table.withPrefix('E#').map((item) => [item.pk, item.countedBy, item.expiresAt])).toEqual([
      ['E#6:acct-1#a', 'shardId-000000000000:00000000000000000001', NOW / 1000 + 8 * 24 * 3600],
      ['E#6:acct-1#b', 'shardId-000000000000:00000000000000000002', NOW / 1000 + 8 * 24 * 3600],
      ['E#6:acct-1#c', 'shardId-000000000000:00000000000000000003', NOW / 1000 + 8 * 24 * 3600],
    ]);
  });

  it('changes nothing when the same batch is delivered again (sequence fence)', async () => {
    // Prepare
    await applyRecords(records(someEvents()), deps(), deadline());
    const before = structuredClone([...table.items]);
    dynamo.resetHistory();

    // Act
    const outcome = await applyRecords(records(someEvents()), deps(), deadline());

    // Assess
    expect(outcome.counts).toMatchObject({ done: 0, duplicate: 3 });
    expect([...table.items]).toEqual(before);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('counts a client resend (same event id, new record) once', async () => {
    // Prepare
    const [event] = someEvents() as [StoredEvent];
    await applyRecords(records([event], 1), deps(), deadline());

    // Act: the same event again, later in the stream
    const outcome = await applyRecords(records([event], 50), deps(), deadline());

    // Assess
    expect(outcome.counts).toMatchObject({ done: 0, duplicate: 1 });
    expect(total('d2026-01-15')).toBe(1);
  });

  it('counts an event repeated within one batch once', async () => {
    // Prepare
    const [event] = someEvents() as [StoredEvent];

    // Act
    const outcome = await applyRecords(records([event, event, event]), deps(), deadline());

    // Assess
    expect(outcome.counts).toMatchObject({ done: 1, duplicate: 2 });
    expect(total('d2026-01-15')).toBe(1);
  });

  it('counts a record whose marker it claimed before failing (redelivery after a crash)', async () => {
    // Prepare: the marker says this very record counted the event, but no rollup holds it yet
    const [event] = someEvents() as [StoredEvent];
    table.items.set(`${markerKey('acct-1', 'a').pk}|M`, {
      ...markerKey('acct-1', 'a'),
      countedBy: 'shardId-000000000000:00000000000000000001',
    });

    // Act
    const outcome = await applyRecords(records([event]), deps(), deadline());

    // Assess
    expect(outcome.counts).toMatchObject({ done: 1, duplicate: 0 });
    expect(total('d2026-01-15')).toBe(1);
  });

  it('reports the records of a sub-item it could not write, and applies them exactly once on redelivery', async () => {
    // Prepare: every write of the hour 11 sub-item fails for the whole first delivery
    table.failPuts('R#6:acct-1#h2026-01-15T11', 1000);
    const batch = someEvents();

    // Act
    const first = await applyRecords(records(batch), deps(), deadline());
    table.heal();
    const failures = new Set(first.response.batchItemFailures.map((failure) => failure.itemIdentifier));
    // Lambda redelivers from the lowest failed record on
    const lowest = [...failures].sort()[0] as string;
    const redelivered = records(batch).filter((record) => record.kinesis.sequenceNumber >= lowest);
    const second = await applyRecords(redelivered, { ...deps(), timing: fakeTiming(NOW) }, deadline());

    // Assess
    expect([...failures]).toEqual(['00000000000000000003']);
    expect(second.response.batchItemFailures).toEqual([]);
    expect(total('d2026-01-15')).toBe(3);
    expect(total('h2026-01-15T11')).toBe(1);
    expect(total('M2026-01')).toBe(3);
  });

  it('merges again when the sub-item changed under it (a zombie writer of the same shard)', async () => {
    // Prepare: a first event is counted; a stale copy of its state is what the writer will read first
    await applyRecords(
      records([storedEvent({ event_id: 'x', timestamp: '2026-01-15T10:05:00.000Z' })]),
      deps(),
      deadline(),
    );
    const stale = new Map(table.items);
    let served = false;
    dynamo.on(BatchGetCommand).callsFake((input) => {
      const keys = Object.values(input.RequestItems)[0] as { Keys: { pk: string; sk: string }[] };
      const source = served ? table.items : stale;
      served = keys.Keys.some((key) => key.pk.startsWith('R#')) || served;
      const found = keys.Keys.flatMap((key) => {
        const item = source.get(`${key.pk}|${key.sk}`);
        return item ? [structuredClone(item)] : [];
      });
      return { Responses: { rollups: found } };
    });
    // …and another writer bumps the version before the put
    for (const [key, item] of table.items)
      if (String(item.pk).startsWith('R#')) table.items.set(key, { ...item, v: 7 });

    // Act
    const outcome = await applyRecords(
      records([storedEvent({ event_id: 'y', timestamp: '2026-01-15T10:06:00.000Z' })], 2),
      deps(),
      deadline(),
    );

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(total('d2026-01-15')).toBe(2);
    expect(table.withPrefix('R#6:acct-1#d2026-01-15')[0]?.v).toBe(8);
  });

  it('does not count, and reports, records whose dedupe marker could not be read', async () => {
    // Prepare
    table.leaveUnprocessed('E#', 1000);

    // Act
    const outcome = await applyRecords(records(someEvents()), deps(), deadline());

    // Assess
    expect(outcome.response.batchItemFailures).toHaveLength(3);
    expect(table.withPrefix('R#')).toEqual([]);
  });

  it('keeps the sub-items of each shard apart', async () => {
    // Act
    await applyRecords(
      [
        ...records([storedEvent({ event_id: 'p' })], 1, 'shardId-000000000000'),
        ...records([storedEvent({ event_id: 'q' })], 1, 'shardId-000000000001'),
      ],
      deps(),
      deadline(),
    );

    // Assess
    expect(table.withPrefix('R#6:acct-1#d2026-01-15').map((item) => item.pk)).toEqual([
      'R#6:acct-1#d2026-01-15#shardId-000000000000',
      'R#6:acct-1#d2026-01-15#shardId-000000000001',
    ]);
    expect(
      Object.keys(table.withPrefix('S#')[0] ?? {}).filter((name) => name.startsWith('shard:')),
    ).toHaveLength(2);
  });

  it('counts a backfilled event in its own hour, day and month, and no minute once minutes have expired', async () => {
    // Act: 60 days old
    await applyRecords(
      records([storedEvent({ event_id: 'old', timestamp: '2025-11-16T08:15:00.000Z' })]),
      deps(),
      deadline(),
    );

    // Assess
    expect(
      table
        .withPrefix('R#')
        .map((item) => String(item.pk).split('#')[2])
        .sort(),
    ).toEqual(['M2025-11', 'd2025-11-16', 'h2025-11-16T08']);
  });

  it('dead-letters an undecodable record with its payload and counts the rest', async () => {
    // Act
    const outcome = await applyRecords(
      [...records([storedEvent({ event_id: 'ok' })], 1), kinesisRecord('not json', '00000000000000000002')],
      deps(),
      deadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 1, failed: 0 });
    const body = JSON.parse(
      sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0]?.MessageBody ?? '{}',
    );
    expect(body).toMatchObject({ source: 'rollup-writer', sequenceNumber: '00000000000000000002' });
  });

  it('labels buckets in UTC', () => {
    expect(bucketLabel({ granularity: 'minute', start: Date.parse('2026-01-15T10:05:00Z') })).toBe(
      'm2026-01-15T10:05',
    );
  });
});
