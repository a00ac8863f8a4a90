/**
 * The one stream-consumer skeleton, against a scripted sink: permanent failures are dead-lettered at
 * once while the rest proceed; transient ones are retried with backoff, then reported; a dead letter
 * SQS refuses is reported; a request that fails as a whole is bisected to the event at fault; an
 * unrecognised error is the event's own only while the sink serves others.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type BatchEvent,
  consumeBatch,
  type EventOutcome,
  type Sink,
} from '../../../lambdas/shared/stream-consumer.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import {
  consumerDeps,
  fakeTiming,
  kinesisEvent,
  kinesisRecord,
  storedEvent,
} from '../../helpers/factories.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';

const sqs = mockClient(SQSClient);
const START = Date.parse('2026-01-15T10:30:00.000Z');
const deadline = START + 10_000;

/** A sink that answers per event id from a script, and remembers every group it was given. */
function scriptedSink(
  script: (eventId: string, group: string[], call: number) => EventOutcome | 'throw',
): Sink & {
  calls: string[][];
} {
  const calls: string[][] = [];
  return {
    source: 'indexer',
    metrics: { done: 'EventsIndexed', duplicate: 'EventsAlreadyIndexed' },
    calls,
    async apply(events: BatchEvent[]) {
      const group = events.map((event) => event.event.event_id);
      calls.push(group);
      const outcomes = group.map((id) => script(id, group, calls.length));
      if (outcomes.includes('throw')) throw new TypeError('a bug for this group');
      return outcomes as EventOutcome[];
    },
  };
}

const deps = (metrics = new RecordedMetrics()) => consumerDeps(START, metrics);

const batch = (...ids: string[]) => kinesisEvent(ids.map((id) => storedEvent({ event_id: id }))).Records;
const letters = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '{}'));

describe('consumeBatch', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it('dead-letters a permanent failure after the first attempt, while the rest proceed and retry', async () => {
    // Prepare: b is poison; c is throttled twice; SQS must have b before c's retries
    const sentAtCall: number[] = [];
    const sink = scriptedSink((id, _group, call) => {
      if (id === 'b') return { kind: 'permanent', reasonCode: 'document-rejected', reason: 'mapping' };
      if (id === 'c' && call < 3) return { kind: 'transient', reason: '429' };
      return { kind: 'done' };
    });
    sqs.on(SendMessageBatchCommand).callsFake((input) => {
      sentAtCall.push(sink.calls.length);
      return everyLetterAccepted(input);
    });
    const metrics = new RecordedMetrics();

    // Act
    const outcome = await consumeBatch(batch('a', 'b', 'c'), sink, deps(metrics), deadline);

    // Assess
    expect(sink.calls).toEqual([['a', 'b', 'c'], ['c'], ['c']]);
    expect(sentAtCall).toEqual([1]);
    expect(letters()).toEqual([
      expect.objectContaining({ source: 'indexer', reasonCode: 'document-rejected', eventKey: 'acct-1:b' }),
    ]);
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts).toEqual({
      records: 3,
      done: 2,
      duplicate: 0,
      deadLettered: 1,
      retried: 2,
      failed: 0,
    });
    expect(metrics.totals).toEqual({ EventsIndexed: 2, EventsDeadLettered: 1, EventsRetried: 2 });
    expect(metrics.byReason).toEqual({ 'EventsDeadLettered/document-rejected': 1 });
  });

  it('retries a transient failure with growing backoff until the deadline, then reports it, never dead-letters it', async () => {
    // Prepare
    const timing = fakeTiming(START);
    const sink = scriptedSink((id) =>
      id === 'b' ? { kind: 'transient', reason: 'write block' } : { kind: 'done' },
    );

    // Act
    const outcome = await consumeBatch(batch('a', 'b'), sink, { ...deps(), timing }, deadline);

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000002' }]);
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 0, failed: 1 });
    expect(sink.calls.length).toBeGreaterThan(5);
    expect(timing.now()).toBeLessThanOrEqual(deadline);
    expect(letters()).toEqual([]);
  });

  it('reports a permanent failure whose dead letter SQS refuses', async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    const sink = scriptedSink(() => ({
      kind: 'permanent',
      reasonCode: 'document-rejected',
      reason: 'mapping',
    }));

    // Act
    const outcome = await consumeBatch(batch('a'), sink, deps(), deadline);

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000001' }]);
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 1 });
  });

  it('bisects a group that fails as a whole until the event at fault is alone', async () => {
    // Prepare: any group holding e5 is refused whole
    const sink = scriptedSink((_id, group) =>
      group.includes('e5')
        ? { kind: 'group-failed', reasonCode: 'request-invalid', reason: '400', eventSpecific: true }
        : { kind: 'done' },
    );
    const ids = Array.from({ length: 8 }, (_, index) => `e${index}`);

    // Act
    const outcome = await consumeBatch(batch(...ids), sink, deps(), deadline);

    // Assess: depth first, first half first; each half without e5 applied once
    expect(outcome.counts).toMatchObject({ done: 7, deadLettered: 1, failed: 0, retried: 0 });
    expect(sink.calls).toEqual([
      ids,
      ids.slice(0, 4),
      ids.slice(4),
      ['e4', 'e5'],
      ['e4'],
      ['e5'],
      ['e6', 'e7'],
    ]);
    expect(letters().map((letter) => letter.eventKey)).toEqual(['acct-1:e5']);
  });

  it('bisects on an error the sink throws, and dead-letters the event alone once the sink served others', async () => {
    // Prepare
    const sink = scriptedSink((_id, group) => (group.includes('bug') ? 'throw' : { kind: 'done' }));

    // Act
    const outcome = await consumeBatch(batch('a', 'b', 'bug', 'c'), sink, deps(), deadline);

    // Assess
    expect(outcome.counts).toMatchObject({ done: 3, deadLettered: 1, failed: 0 });
    expect(letters()).toEqual([
      expect.objectContaining({
        reasonCode: 'unrecognised-error',
        reason: 'TypeError: a bug for this group',
      }),
    ]);
  });

  it('waits on an unrecognised error while nothing succeeds: the sink may be down', async () => {
    // Prepare
    const sink = scriptedSink(() => 'throw');

    // Act
    const outcome = await consumeBatch(batch('a', 'b'), sink, deps(), deadline);

    // Assess
    expect(outcome.counts).toMatchObject({ done: 0, deadLettered: 0, failed: 2 });
  });

  it('reports, instead of dead-lettering, an event the sink could not prepare for it', async () => {
    // Prepare
    const sink = {
      ...scriptedSink(() => ({ kind: 'permanent', reasonCode: 'dynamodb-validation', reason: 'too big' })),
      beforeDeadLetter: async (events: BatchEvent[]) => events,
    };

    // Act
    const outcome = await consumeBatch(batch('a'), sink, deps(), deadline);

    // Assess
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 1 });
    expect(letters()).toEqual([]);
  });

  it('dead-letters an undecodable record with its data and a reason code, and never gives it to the sink', async () => {
    // Prepare
    const sink = scriptedSink(() => ({ kind: 'done' }));
    const metrics = new RecordedMetrics();

    // Act
    const outcome = await consumeBatch(
      [kinesisRecord('{oops'), ...batch('a')],
      sink,
      deps(metrics),
      deadline,
    );

    // Assess
    expect(sink.calls).toEqual([['a']]);
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 1 });
    expect(letters()).toEqual([
      expect.objectContaining({ reasonCode: 'undecodable', data: expect.any(String) }),
    ]);
    expect(metrics.byReason).toEqual({ 'EventsDeadLettered/undecodable': 1 });
  });
});

describe('a record that crashes the function again and again', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  /** A journal that says the record was started `starts` times without an end (or throws). */
  function journal(starts: number | Error) {
    const calls: string[] = [];
    return {
      calls,
      async begin(event: BatchEvent) {
        calls.push(`begin ${event.event.event_id}`);
        if (starts instanceof Error) throw starts;
        return starts;
      },
      async end(event: BatchEvent) {
        calls.push(`end ${event.event.event_id}`);
      },
    };
  }

  /** One record, alone in its batch, that arrived `ageMs` before the clock's start. */
  const alone = (ageMs: number) => {
    const [record] = batch('x');
    if (record) record.kinesis.approximateArrivalTimestamp = (START - ageMs) / 1000;
    return record ? [record] : [];
  };

  it('is dead-lettered without being applied again once it came back alone and old after 3 crashes', async () => {
    // Prepare
    const crashes = journal(4);
    const sink = { ...scriptedSink(() => ({ kind: 'done' })), crashJournal: crashes };

    // Act
    const outcome = await consumeBatch(alone(5 * 60_000), sink, deps(), deadline);

    // Assess
    expect(sink.calls).toEqual([]);
    expect(crashes.calls).toEqual(['begin x', 'end x']);
    expect(outcome.counts).toMatchObject({ deadLettered: 1, failed: 0 });
    expect(letters()).toEqual([
      expect.objectContaining({
        reasonCode: 'repeated-crash',
        reason: expect.stringMatching(/crashed or timed out on this record 3 times/),
      }),
    ]);
  });

  it('is applied, and its journal cleared, while it crashed fewer times', async () => {
    // Prepare
    const crashes = journal(2);
    const sink = { ...scriptedSink(() => ({ kind: 'done' })), crashJournal: crashes };

    // Act
    const outcome = await consumeBatch(alone(5 * 60_000), sink, deps(), deadline);

    // Assess
    expect(sink.calls).toEqual([['x']]);
    expect(crashes.calls).toEqual(['begin x', 'end x']);
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 0 });
  });

  it('is applied as usual when the journal cannot be written (the sink may be down)', async () => {
    // Prepare
    const sink = {
      ...scriptedSink(() => ({ kind: 'done' })),
      crashJournal: journal(new Error('unreachable')),
    };

    // Act
    const outcome = await consumeBatch(alone(5 * 60_000), sink, deps(), deadline);

    // Assess
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 0 });
  });

  it('costs nothing for a young record, or a batch of more than one', async () => {
    // Prepare
    const crashes = journal(9);
    const sink = { ...scriptedSink(() => ({ kind: 'done' })), crashJournal: crashes };

    // Act
    await consumeBatch(alone(10_000), sink, deps(), deadline);
    await consumeBatch(batch('a', 'b'), sink, deps(), deadline);

    // Assess
    expect(crashes.calls).toEqual([]);
    expect(sink.calls).toEqual([['x'], ['a', 'b']]);
  });
});
