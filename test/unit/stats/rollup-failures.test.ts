/**
 * The rollup writer per event (DESIGN.md rule 2): DynamoDB throttling waits; a ValidationException is
 * bisected to the one event that causes it, which alone is dead-lettered while the others are counted;
 * and whatever the writer gives up on, or the mapping discards, a redriven copy is counted exactly once.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyRecords } from '../../../lambdas/stats/rollup-core.js';
import { markerKey, stateOf } from '../../../lambdas/stats/rollup-model.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { fakeTiming, storedEvent } from '../../helpers/factories.js';
import { type FakeTable, fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';
import {
  ROLLUP_NOW,
  rollupDeadline,
  rollupDeps,
  shardRecords,
  totalIn,
} from '../../helpers/rollup-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
let table: FakeTable;

const named = (name: string) => Object.assign(new Error(`${name} happened`), { name });
const HOUR = 3600 * 1000;

function letters(): Record<string, unknown>[] {
  return sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '{}'));
}

const at = (id: string, time: string, account = 'acct-1') =>
  storedEvent({ event_id: id, account_id: account, timestamp: `2026-01-15T${time}:00.000Z` });

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  table = fakeRollupsTable(dynamo);
});

describe('throttling and other infrastructure errors wait', () => {
  it.each([
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'RequestLimitExceeded',
    'InternalServerError',
    'TransactionConflictException',
  ])('a put that fails with %s a few times is retried and counted once', async (name) => {
    // Prepare
    table.failPuts('R#6:acct-1#d2026-01-15', 2, named(name));
    const metrics = new RecordedMetrics();

    // Act
    const outcome = await applyRecords(
      shardRecords([at('a', '10:05'), at('b', '10:06')]),
      rollupDeps({ metrics }),
      rollupDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ done: 2, failed: 0, deadLettered: 0 });
    expect(outcome.counts.retried).toBeGreaterThan(0);
    expect(totalIn(table, 'd2026-01-15')).toBe(2);
    expect(metrics.totals).toMatchObject({ EventsCounted: 2, EventsRetried: outcome.counts.retried });
  });

  it('reports, and never dead-letters, what throttling still holds at the deadline', async () => {
    // Prepare
    table.failPuts('R#6:acct-1#d2026-01-15', 10_000, named('ProvisionedThroughputExceededException'));

    // Act
    const outcome = await applyRecords(shardRecords([at('a', '10:05')]), rollupDeps(), rollupDeadline());

    // Assess
    expect(outcome.counts).toMatchObject({ failed: 1, deadLettered: 0 });
    expect(letters()).toEqual([]);
  });
});

describe('a ValidationException is bisected to the event that causes it', () => {
  it('dead-letters the event whose marker DynamoDB refuses, and counts the others of the batch', async () => {
    // Prepare: any request carrying the poison's marker key is refused as a whole
    table.rejectRequestsWith(markerKey('acct-1', 'poison').pk, named('ValidationException'));
    const events = ['a', 'b', 'c', 'poison', 'd', 'e'].map((id) => at(id, '10:05'));
    const metrics = new RecordedMetrics();

    // Act
    const outcome = await applyRecords(shardRecords(events), rollupDeps({ metrics }), rollupDeadline());

    // Assess
    expect(outcome.counts).toMatchObject({ done: 5, deadLettered: 1, failed: 0 });
    expect(totalIn(table, 'd2026-01-15')).toBe(5);
    expect(letters()).toEqual([
      expect.objectContaining({
        source: 'rollup-writer',
        reasonCode: 'dynamodb-validation',
        eventKey: 'acct-1:poison',
        event: events[3],
      }),
    ]);
    expect(metrics.byReason).toEqual({ 'EventsDeadLettered/dynamodb-validation': 1 });
  });

  it('never lets a half that bisecting applies later move a sub-item past an event of an earlier half that waits', async () => {
    // Prepare: the poison's marker is refused, so the batch is bisected; while a is alone, the put of
    // its minute sub-item is throttled once, and b (a later half) writes that same minute sub-item.
    table.rejectRequestsWith(markerKey('acct-1', 'poison').pk, named('ValidationException'));
    table.failPuts('R#6:acct-1#m2026-01-15T10:05#', 1, named('ProvisionedThroughputExceededException'));
    const events = [at('a', '10:05'), at('poison', '10:05'), at('b', '10:05')];

    // Act
    const outcome = await applyRecords(shardRecords(events), rollupDeps(), rollupDeadline());

    // Assess: a and b counted in every bucket, the poison dead-lettered
    expect(outcome.counts).toMatchObject({ deadLettered: 1, failed: 0 });
    for (const label of ['m2026-01-15T10:05', 'h2026-01-15T10', 'd2026-01-15', 'M2026-01']) {
      expect(totalIn(table, label), label).toBe(2);
    }
    const redelivered = await applyRecords(shardRecords(events), rollupDeps(), rollupDeadline());
    expect(redelivered.counts).toMatchObject({ done: 0, failed: 0 });
    expect(totalIn(table, 'm2026-01-15T10:05')).toBe(2);
  });

  it('releases the marker of an event it gives up on before counting it anywhere; a redrive counts it once', async () => {
    // Prepare: every rollup write of one account is refused (its marker is claimed first)
    table.rejectRequestsWith('R#4:bad1#', named('ValidationException'));
    const poison = at('p', '10:05', 'bad1');

    // Act
    const outcome = await applyRecords(
      shardRecords([at('a', '10:05'), poison]),
      rollupDeps(),
      rollupDeadline(),
    );

    // Assess: counted nowhere, marker released, so the redrive after the fix claims it afresh
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 1, failed: 0 });
    const [marker] = table.withPrefix(markerKey('bad1', 'p').pk);
    expect(marker).toMatchObject({ timestamp: poison.timestamp });
    expect(marker).not.toHaveProperty('countedBy');
    table.heal();
    const redrive = await applyRecords(shardRecords([poison], 40), rollupDeps(), rollupDeadline());
    expect(redrive.counts).toMatchObject({ done: 1, duplicate: 0 });
    const again = await applyRecords(shardRecords([poison], 41), rollupDeps(), rollupDeadline());
    expect(again.counts).toMatchObject({ done: 0, duplicate: 1 });
    expect(table.withPrefix('R#4:bad1#d2026-01-15').length).toBe(1);
  });

  it.each([
    ['before it claims its marker (its rollup items cannot be read)', 'read', 'apart'],
    ['after it claimed its marker (none of its rollup items can be written)', 'write', 'apart'],
    ['and the redrive comes right behind the later version, in one batch', 'write', 'together'],
  ] as const)(
    'lets the first version of an event win though it was dead-lettered %s: a later version is a duplicate, its redrive counts',
    async (_when, refused, batching) => {
      // Prepare: the first version of p is dead-lettered before it is counted anywhere
      if (refused === 'read') table.rejectRequestsWith('R#4:bad1#', named('ValidationException'));
      else table.failPuts('R#4:bad1#', 10_000, named('ValidationException'));
      const first = at('p', '10:05', 'bad1');
      const later = { ...first, type: 'login', timestamp: '2026-01-15T10:07:00.000Z' };
      await applyRecords(shardRecords([first]), rollupDeps(), rollupDeadline());
      table.heal();

      // Act: a later version of the event (another timestamp), then the redrive of the first
      const batches = batching === 'apart' ? [[later], [first]] : [[later, first]];
      const counts = { done: 0, duplicate: 0 };
      for (const [position, batch] of batches.entries()) {
        const outcome = await applyRecords(
          shardRecords(batch, 20 * (position + 1)),
          rollupDeps(),
          rollupDeadline(),
        );
        counts.done += outcome.counts.done;
        counts.duplicate += outcome.counts.duplicate;
      }

      // Assess: counted once, as its first version (as the indexer keeps it)
      expect(counts).toEqual({ done: 1, duplicate: 1 });
      const [day] = table.withPrefix('R#4:bad1#d2026-01-15');
      expect(day && stateOf(day).types.toJSON()).toEqual([['page_view', 1]]);
      expect(totalIn(table, 'm2026-01-15T10:07')).toBe(0);
      expect(table.withPrefix('R#4:bad1#d2026-01-15').length).toBe(1);
    },
  );

  it('logs the buckets an event dead-lettered half-way lacks, and a redrive fills exactly those, once', async () => {
    // Prepare: only the put of b's minute sub-item is refused; its hour, day and month take it
    table.failPuts('R#6:acct-1#m2026-01-15T10:45#', 10_000, named('ValidationException'));
    const b = at('b', '10:45');

    // Act
    const outcome = await applyRecords(
      shardRecords([at('a', '10:05'), b, at('c', '11:01')]),
      rollupDeps(),
      rollupDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ done: 2, deadLettered: 1, failed: 0 });
    expect(totalIn(table, 'd2026-01-15')).toBe(3);
    expect(table.withPrefix('A#')).toEqual([
      expect.objectContaining({ missing: { '00000000000000000002': ['m2026-01-15T10:45'] } }),
    ]);
    // …the fix, then the redrive of the letter: a new record of the same event
    table.heal();
    const redrive = await applyRecords(shardRecords([b], 50), rollupDeps(), rollupDeadline());
    const second = await applyRecords(shardRecords([b], 51), rollupDeps(), rollupDeadline());
    expect(redrive.counts).toMatchObject({ done: 1 });
    expect(second.counts).toMatchObject({ done: 0, duplicate: 1 });
    expect(totalIn(table, 'm2026-01-15T10:45')).toBe(1);
    expect(totalIn(table, 'h2026-01-15T10')).toBe(2);
    expect(totalIn(table, 'd2026-01-15')).toBe(3);
  });
});

describe('a batch the mapping discards after days of failing', () => {
  it('is logged as it stands, so a redrive counts exactly what was never counted', async () => {
    // Prepare: a shard stuck for days; the day sub-item of acct-2 never takes a write
    table.failPuts('R#6:acct-2#d2026-01-15', 10_000, named('ProvisionedThroughputExceededException'));
    const events = [at('x', '10:05'), at('y', '10:06', 'acct-2'), at('z', '10:07')];
    // The clock, not the records' arrival, moves on: ingest stamped them as they reached the stream.
    const daysLater = () => rollupDeps({ timing: fakeTiming(ROLLUP_NOW + 50 * HOUR) });
    const stuck = await applyRecords(shardRecords(events, 1), daysLater(), rollupDeadline() + 50 * HOUR);
    expect(stuck.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000002' }]);

    // Act: the mapping discards the batch and moves on; the tool redrives x, y and z as new records
    table.heal();
    const redriven = await applyRecords(shardRecords(events, 90), daysLater(), rollupDeadline() + 50 * HOUR);

    // Assess: x and z were counted: duplicates; y lacked its day only, which it now fills
    expect(redriven.counts).toMatchObject({ done: 1, duplicate: 2 });
    expect(totalIn(table, 'd2026-01-15')).toBe(3);
    expect(totalIn(table, 'm2026-01-15T10:06')).toBe(1);
    expect(totalIn(table, 'M2026-01')).toBe(3);
  });

  it('writes no log while batches are young: nothing could be discarded', async () => {
    // Act
    await applyRecords(shardRecords([at('x', '10:05')]), rollupDeps(), rollupDeadline());

    // Assess
    expect(table.withPrefix('A#')).toEqual([]);
  });

  it("supersedes a stuck invocation's entry when the redelivery holds only young records", async () => {
    // Prepare: a batch from a shard that waited two hours ends with a fresh record, x, whose day
    // sub-item is throttled; the stuck invocation's entry says x lacks its day
    table.failPuts('R#6:acct-1#d2026-01-15', 10_000, named('ThrottlingException'));
    const o = { ...at('o', '08:00', 'acct-2'), received_at: '2026-01-15T08:30:00.000Z' };
    const old = shardRecords([o], 1, undefined, 2 * HOUR);
    const x = shardRecords([at('x', '10:05')], 2);
    const stuck = await applyRecords([...old, ...x], rollupDeps(), rollupDeadline());
    expect(stuck.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000002' }]);
    // …the table heals and the mapping redelivers from x: a batch of young records only, applied
    table.heal();
    await applyRecords(x, rollupDeps(), rollupDeadline());

    // Act: a client resends x (its ingest timed out after Kinesis took it)
    const resend = await applyRecords(shardRecords([at('x', '10:05')], 70), rollupDeps(), rollupDeadline());

    // Assess: x is counted once in its day, as in every other bucket
    expect(resend.counts).toMatchObject({ done: 0, duplicate: 1 });
    expect(totalIn(table, 'd2026-01-15')).toBe(2);
    expect(totalIn(table, 'h2026-01-15T10')).toBe(1);
  });

  it("supersedes a stuck invocation's entry once a later one applied everything", async () => {
    // Prepare: stuck once, then applied on redelivery
    table.failPuts('R#6:acct-1#d2026-01-15', 10_000, named('ThrottlingException'));
    const events = [at('x', '10:05')];
    const hoursLater = () => rollupDeps({ timing: fakeTiming(ROLLUP_NOW + 2 * HOUR) });
    await applyRecords(shardRecords(events, 1), hoursLater(), rollupDeadline() + 2 * HOUR);
    table.heal();
    await applyRecords(shardRecords(events, 1), hoursLater(), rollupDeadline() + 2 * HOUR);

    // Act: a client resends x much later
    const resend = await applyRecords(shardRecords(events, 70), rollupDeps(), rollupDeadline());

    // Assess
    expect(resend.counts).toMatchObject({ done: 0, duplicate: 1 });
    expect(totalIn(table, 'd2026-01-15')).toBe(1);
  });
});

describe('an error no rule recognises', () => {
  it('is the event own when the writer counted others, and is dead-lettered', async () => {
    // Prepare: a bug-like error for one event's marker only
    table.rejectRequestsWith(
      markerKey('acct-1', 'odd').pk,
      new TypeError('cannot read properties of undefined'),
    );

    // Act
    const outcome = await applyRecords(
      shardRecords([at('a', '10:05'), at('odd', '10:05'), at('b', '10:05')]),
      rollupDeps(),
      rollupDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ done: 2, deadLettered: 1, failed: 0 });
    expect(letters()[0]).toMatchObject({ reasonCode: 'unrecognised-error', eventKey: 'acct-1:odd' });
  });

  it('waits when the writer counted nothing: it may be DynamoDB failing', async () => {
    // Prepare
    table.rejectRequestsWith('E#', new TypeError('cannot read properties of undefined'));

    // Act
    const outcome = await applyRecords(
      shardRecords([at('a', '10:05'), at('b', '10:05')]),
      rollupDeps(),
      rollupDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ done: 0, deadLettered: 0, failed: 2 });
  });
});

describe('a record that crashed the function again and again', () => {
  it.each([
    [
      'before any of its rollup items was written',
      ['m2026-01-15T10:05#', 'h2026-01-15T10#', 'd2026-01-15#', 'M2026-01#'],
    ],
    ['after its minute item was written', ['h2026-01-15T10#', 'd2026-01-15#', 'M2026-01#']],
  ])(
    'is dead-lettered with its marker claimed %s, and its redrive counts it in every bucket, once',
    async (_when, unwritten) => {
      // Prepare: the invocations that crashed on x claimed its marker and wrote some of its sub-items
      // (here: the others were throttled), then the crash journal holds three starts without an end
      for (const label of unwritten)
        table.failPuts(`R#6:acct-1#${label}`, 10_000, named('ThrottlingException'));
      const x = at('x', '10:05');
      const records = shardRecords([x], 5, undefined, 10 * 60_000);
      await applyRecords(records, rollupDeps(), rollupDeadline());
      table.heal();
      const recordId = records[0]?.eventID;
      table.items.set(`C#${recordId}|C`, { pk: `C#${recordId}`, sk: 'C', starts: 3 });
      const poisoned = await applyRecords(records, rollupDeps(), rollupDeadline());
      expect(poisoned.counts).toMatchObject({ deadLettered: 1, failed: 0 });

      // Act: after the fix, the redrive of its letter, twice
      const redrive = await applyRecords(shardRecords([x], 40), rollupDeps(), rollupDeadline());
      const again = await applyRecords(shardRecords([x], 41), rollupDeps(), rollupDeadline());

      // Assess
      expect(redrive.counts).toMatchObject({ done: 1, duplicate: 0 });
      expect(again.counts).toMatchObject({ done: 0, duplicate: 1 });
      for (const label of ['m2026-01-15T10:05', 'h2026-01-15T10', 'd2026-01-15', 'M2026-01']) {
        expect(totalIn(table, label), label).toBe(1);
      }
    },
  );
});
