/**
 * Records ingest did not shape (put straight on the stream by an operator, a redrive or another writer
 * with stream permissions), through the one stream-consumer skeleton: each is dead-lettered with its
 * payload and a reason naming the field, counted, and never handed to the sink, while the good records
 * around it are applied.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type BatchEvent, consumeBatch, type Sink } from '../../../lambdas/shared/stream-consumer.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { consumerDeps, kinesisRecord, storedEvent } from '../../helpers/factories.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';

const sqs = mockClient(SQSClient);
/** The factories' records reach the stream at 2026-01-15T10:20:31Z, one second after their receipt. */
const NOW = Date.parse('2026-01-15T10:30:00.000Z');
const DAY = 24 * 3600 * 1000;

function recordingSink(): Sink & { applied: string[] } {
  const applied: string[] = [];
  return {
    source: 'rollup-writer',
    metrics: { done: 'EventsCounted', duplicate: 'EventsAlreadyCounted' },
    applied,
    async apply(events: BatchEvent[]) {
      applied.push(...events.map((event) => event.key));
      return events.map(() => ({ kind: 'done' as const }));
    },
  };
}

const deps = (metrics = new RecordedMetrics()) => consumerDeps(NOW, metrics);

const letters = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '{}'));

const iso = (at: number) => new Date(at).toISOString();
const RECEIVED = Date.parse('2026-01-15T10:20:31.000Z');

/** Hostile record data, the field its reason must name, and its reason code. */
const HOSTILE: [string, unknown, RegExp, string][] = [
  ['not JSON', '{"account_id": "acct-1", ', /not JSON/, 'undecodable'],
  ['a JSON array', [{ account_id: 'acct-1' }], /must be a JSON object/, 'not-storable'],
  ['a JSON string', '"acct-1"', /must be a JSON object/, 'not-storable'],
  ['JSON null', 'null', /must be a JSON object/, 'not-storable'],
  [
    'nested 200,000 levels deep',
    `{"properties":${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
    /nested more than 16 levels deep/,
    'not-storable',
  ],
  ['an object without account_id', storedEvent({ account_id: undefined }), /account_id/, 'not-stored-event'],
  ['an object without event_id', storedEvent({ event_id: undefined }), /event_id/, 'not-stored-event'],
  ['an object without timestamp', storedEvent({ timestamp: undefined }), /timestamp/, 'not-stored-event'],
  ['an account_id of the wrong type', { ...storedEvent(), account_id: 7 }, /account_id/, 'not-stored-event'],
  ['an epoch-number timestamp', { ...storedEvent(), timestamp: RECEIVED }, /timestamp/, 'not-stored-event'],
  ['a NaN-like timestamp', storedEvent({ timestamp: 'NaN' }), /timestamp/, 'not-stored-event'],
  ['a value of the wrong type', { ...storedEvent(), value: '12' }, /value/, 'not-stored-event'],
  [
    'a timestamp in year 0',
    storedEvent({ timestamp: '0000-01-01T00:00:00Z' }),
    /timestamp: timestamp is more than 365 day\(s\) in the past: it must be from .* \(the server received the event at /,
    'not-storable',
  ],
  [
    'a timestamp in year 9999',
    storedEvent({ timestamp: '9999-12-31T23:59:59Z' }),
    /timestamp: timestamp is more than 1 hour\(s\) in the future: it must be from .* \(the server received the event at /,
    'not-storable',
  ],
  [
    'a timestamp two hours after its receipt (past the accepted clock skew)',
    storedEvent({ timestamp: iso(RECEIVED + 2 * 3600 * 1000) }),
    /timestamp: .*in the future/,
    'not-storable',
  ],
  [
    'a received_at and timestamp centuries back',
    storedEvent({ timestamp: '1700-01-01T00:00:00Z', received_at: '1700-01-01T00:00:01Z' }),
    /received_at: received_at is more than 400 day\(s\) before the record reached the stream/,
    'not-storable',
  ],
  [
    'a received_at and timestamp centuries ahead',
    storedEvent({ timestamp: '2400-01-01T00:00:00Z', received_at: '2400-01-01T00:00:01Z' }),
    /received_at: received_at is more than 300 second\(s\) after the record reached the stream/,
    'not-storable',
  ],
  [
    'oversized properties',
    storedEvent({ properties: { blob: 'x'.repeat(50 * 1024) } }),
    /over the \d+-byte limit of a stored event/,
    'not-storable',
  ],
];

describe('a record ingest did not shape', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it.each(HOSTILE)(
    'is dead-lettered when it is %s, and the records around it are applied',
    async (_label, data, reason, reasonCode) => {
      // Prepare
      const before = storedEvent({ event_id: 'before' });
      const after = storedEvent({ event_id: 'after', account_id: 'acct-2' });
      const sink = recordingSink();
      const metrics = new RecordedMetrics();

      // Act
      const outcome = await consumeBatch(
        [kinesisRecord(before, '1'), kinesisRecord(data, '2'), kinesisRecord(after, '3')],
        sink,
        deps(metrics),
        NOW + 10_000,
      );

      // Assess
      expect(sink.applied).toEqual(['acct-1:before', 'acct-2:after']);
      expect(outcome.response.batchItemFailures).toEqual([]);
      expect(outcome.counts).toMatchObject({ done: 2, deadLettered: 1, failed: 0 });
      const [letter] = letters();
      expect(letters()).toHaveLength(1);
      expect(letter).toMatchObject({ sequenceNumber: '2', reasonCode, data: expect.any(String) });
      expect(letter.reason).toMatch(reason);
      expect(metrics.byReason).toEqual({ [`EventsDeadLettered/${reasonCode}`]: 1 });
    },
  );

  it('is applied when it was received long before it reached the stream (a redrive), within the data horizon', async () => {
    // Prepare: received and stamped 200 days before a redrive put it back on the stream
    const event = storedEvent({
      timestamp: iso(RECEIVED - 200 * DAY),
      received_at: iso(RECEIVED - 200 * DAY),
    });
    const sink = recordingSink();

    // Act
    const outcome = await consumeBatch([kinesisRecord(event, '1')], sink, deps(), NOW + 10_000);

    // Assess
    expect(sink.applied).toEqual([`acct-1:${event.event_id}`]);
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 0 });
  });

  it('keeps two accounts apart when they send the same event_id', async () => {
    // Prepare
    const sink = recordingSink();
    const records = [
      kinesisRecord(storedEvent({ event_id: 'same', account_id: 'acct-1' }), '1'),
      kinesisRecord(storedEvent({ event_id: 'same', account_id: 'acct-2', type: 'login' }), '2'),
    ];

    // Act
    const outcome = await consumeBatch(records, sink, deps(), NOW + 10_000);

    // Assess
    expect(sink.applied).toEqual(['acct-1:same', 'acct-2:same']);
    expect(outcome.counts).toMatchObject({ done: 2, deadLettered: 0 });
  });
});
