import { describe, expect, it } from 'vitest';
import {
  functionOfArn,
  parseLetter,
  reasonCodeOf,
  streamNameOfArn,
} from '../../../cli/dead-letters/letters.js';
import { selects } from '../../../cli/dead-letters/redrive-cases.js';
import { groupLetters, subjectOf } from '../../../cli/dead-letters/report.js';
import {
  eventDeadLetter,
  onFailureRecord,
  queueMessage,
  rawDeadLetter,
} from '../../helpers/dead-letter-factories.js';
import { storedEvent } from '../../helpers/factories.js';

describe('reading dead letters', () => {
  it('reads a consumer letter with its event, key and the bytes that go back on the stream', () => {
    const event = storedEvent({ account_id: 'acct-7', event_id: 'e-1' });

    const letter = parseLetter(queueMessage(eventDeadLetter(event)));

    expect(letter).toMatchObject({
      kind: 'event',
      source: 'indexer',
      reasonCode: 'mapper_parsing_exception',
      key: 'acct-7:e-1',
      event,
      sequenceNumber: '49000000000000000000000000000000000000000000000000000001',
      at: Date.parse('2026-01-15T10:21:00.000Z'),
    });
    expect(letter.kind === 'event' && JSON.parse(letter.data.toString())).toEqual(event);
  });

  it('keeps an undecodable record raw, naming why it still cannot be redriven', () => {
    const letter = parseLetter(queueMessage(rawDeadLetter('this is not json {')));

    expect(letter).toMatchObject({ kind: 'raw', partitionKey: 'raw' });
    expect(letter.kind === 'raw' && letter.undecodable).toMatch(/not JSON/);
  });

  it('takes a raw record that today decodes as an event letter (the consumer was fixed)', () => {
    const event = storedEvent({ account_id: 'acct-7', event_id: 'e-2' });

    const letter = parseLetter(
      queueMessage(rawDeadLetter(JSON.stringify(event), { partitionKey: 'acct-7:e-2' })),
    );

    expect(letter).toMatchObject({ kind: 'event', key: 'acct-7:e-2', partitionKey: 'acct-7:e-2' });
  });

  it('refuses to redrive a letter that was cut to fit the queue', () => {
    const letter = parseLetter(queueMessage({ ...rawDeadLetter('{"partial'), truncated: true }));

    expect(letter.kind === 'raw' && letter.undecodable).toMatch(/cut to fit the queue/);
  });

  it("reads a mapping's on-failure record as a discarded batch of the function its ARN names", () => {
    const record = onFailureRecord({
      functionName: 'rollup-writer',
      start: '100',
      end: '199',
      batchSize: 100,
    });

    const letter = parseLetter(queueMessage(record));

    expect(letter).toMatchObject({
      kind: 'batch',
      source: 'rollup-writer',
      reasonCode: 'batch-discarded:RecordAgeExceeded',
      shardId: 'shardId-000000000000',
      startSequenceNumber: '100',
      endSequenceNumber: '199',
      batchSize: 100,
    });
    expect(subjectOf(letter)).toBe('100 record(s) of shardId-000000000000 100..199');
  });

  it('names the functions of a deployed stack from their CDK-generated names', () => {
    expect(functionOfArn('arn:aws:lambda:eu-west-1:1:function:EventPipeline-RollupWriterA1B2-xyz')).toBe(
      'rollup-writer',
    );
    expect(functionOfArn('arn:aws:lambda:eu-west-1:1:function:EventPipeline-IndexerC3D4-xyz')).toBe(
      'indexer',
    );
    expect(functionOfArn('arn:aws:lambda:eu-west-1:1:function:EventPipeline-WsBroadcastE5-xyz')).toBe(
      'ws-broadcast',
    );
    expect(functionOfArn('arn:aws:lambda:eu-west-1:1:function:someone-else')).toBe('unknown');
    expect(streamNameOfArn('arn:aws:kinesis:eu-west-1:1:stream/events-prod')).toBe('events-prod');
  });

  it('drops a partition key Kinesis would refuse (a number, over 256 characters): the event goes back under its own', () => {
    const event = storedEvent({ account_id: 'acct-7', event_id: 'e-pk' });
    const malformed = [12345, 'p'.repeat(257), ''].map((partitionKey) =>
      parseLetter(queueMessage(eventDeadLetter(event, { partitionKey: partitionKey as string }))),
    );

    for (const letter of malformed) {
      expect(letter).toMatchObject({ kind: 'event', key: 'acct-7:e-pk' });
      expect(letter).not.toHaveProperty('partitionKey');
    }
    expect(parseLetter(queueMessage(eventDeadLetter(event, { partitionKey: 'acct-7:e-pk' })))).toMatchObject({
      partitionKey: 'acct-7:e-pk',
    });
  });

  it('keeps what it cannot read as an unknown letter, never throwing', () => {
    expect(parseLetter(queueMessage('{{{'))).toMatchObject({
      kind: 'unknown',
      reason: 'the message is not JSON',
    });
    expect(parseLetter(queueMessage({ hello: 'world' }))).toMatchObject({
      kind: 'unknown',
      source: 'unknown',
    });
  });

  it('derives a short reason code from the reason when the consumer wrote none', () => {
    expect(reasonCodeOf({ reason: '403 cluster_block_exception: index [events] blocked' })).toBe(
      'cluster_block_exception',
    );
    expect(reasonCodeOf({ reason: 'record is not storable: properties: nested too deep' })).toBe(
      'record is not storable',
    );
    expect(reasonCodeOf({ reason: 'anything', reasonCode: 'too-large' })).toBe('too-large');
  });
});

describe('grouping and selecting letters', () => {
  const letters = [
    parseLetter(queueMessage(eventDeadLetter(storedEvent({ account_id: 'a' })), 1_000)),
    parseLetter(
      queueMessage(
        eventDeadLetter(storedEvent({ account_id: 'b' }), { failedAt: '2026-01-16T00:00:00.000Z' }),
      ),
    ),
    parseLetter(
      queueMessage(
        eventDeadLetter(storedEvent({ account_id: 'a' }), {
          source: 'rollup-writer',
          reason: 'item too large',
        }),
      ),
    ),
  ];

  it('groups by source and reason code, largest group first, with the oldest and newest', () => {
    expect(groupLetters(letters)).toEqual([
      expect.objectContaining({
        source: 'indexer',
        reasonCode: 'mapper_parsing_exception',
        letters: 2,
        oldest: '2026-01-15T10:21:00.000Z',
        newest: '2026-01-16T00:00:00.000Z',
      }),
      expect.objectContaining({ source: 'rollup-writer', reasonCode: 'item too large', letters: 1 }),
    ]);
  });

  it('selects by id, reason, source and account, and nothing without a criterion', () => {
    const [first, second, third] = letters as [(typeof letters)[0], (typeof letters)[0], (typeof letters)[0]];
    expect(letters.filter((l) => selects(l, {}))).toEqual([]);
    expect(letters.filter((l) => selects(l, { all: true }))).toHaveLength(3);
    expect(letters.filter((l) => selects(l, { ids: [second.id] }))).toEqual([second]);
    expect(letters.filter((l) => selects(l, { account: 'a' }))).toEqual([first, third]);
    expect(letters.filter((l) => selects(l, { account: 'a', source: 'indexer' }))).toEqual([first]);
    expect(letters.filter((l) => selects(l, { reason: 'item too large' }))).toEqual([third]);
  });
});
