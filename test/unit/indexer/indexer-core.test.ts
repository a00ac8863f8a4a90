import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { indexRecords } from '../../../lambdas/indexer/indexer-core.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { kinesisEvent, kinesisRecord, storedEvent } from '../../helpers/factories.js';
import { FakeOpenSearch } from '../../helpers/fake-opensearch.js';
import { indexerDeadline, indexerDeps } from '../../helpers/indexer-fixtures.js';

const sqs = mockClient(SQSClient);

const deps = indexerDeps;

const deadline = indexerDeadline;

/** The ids written by each `_bulk` call to the event indices (registrations left out). */
function documentCalls(search: FakeOpenSearch): string[][] {
  return search.bulkCalls
    .map((call) => call.filter((target) => target.index.startsWith('events-')).map((target) => target.id))
    .filter((ids) => ids.length > 0);
}

function deadLetterBodies(): Record<string, unknown>[] {
  return sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '{}'));
}

describe('indexRecords', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it('registers each event, then creates it in its daily index with its key as id', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    const event = storedEvent({ event_id: 'e1', timestamp: '2026-01-15T00:00:00.000Z' });

    // Act
    const outcome = await indexRecords(kinesisEvent([event]).Records, deps(search), deadline());

    // Assess
    expect(search.documents('events-')).toEqual([
      { index: 'events-2026.01.15', id: 'acct-1:e1', source: event },
    ]);
    expect(search.documents('events_registry-')).toEqual([
      {
        index: 'events_registry-2026.01.11',
        id: 'acct-1:e1',
        source: {
          event_id: 'e1',
          account_id: 'acct-1',
          timestamp: '2026-01-15T00:00:00.000Z',
          received_at: event.received_at,
        },
      },
    ]);
    expect(outcome.response).toEqual({ batchItemFailures: [] });
    expect(outcome.counts).toMatchObject({ done: 1, duplicate: 0, deadLettered: 0, failed: 0 });
  });

  it('walks every item of an errors:true response: 409 is success, 429 is retried alone', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    search.store.set('events-2026.01.15', new Map([['acct-1:b', {}]]));
    search.failItem = ({ id, call, index }) =>
      index.startsWith('events-') && id === 'acct-1:c' && call === 2 ? { status: 429 } : undefined;
    const events = ['a', 'b', 'c'].map((id) => storedEvent({ event_id: id }));

    // Act
    const outcome = await indexRecords(kinesisEvent(events).Records, deps(search), deadline());

    // Assess
    expect(documentCalls(search)).toEqual([['acct-1:a', 'acct-1:b', 'acct-1:c'], ['acct-1:c']]);
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts).toMatchObject({ done: 2, duplicate: 1, deadLettered: 0, failed: 0 });
  });

  it('reports items still throttled at the deadline as batch item failures', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    search.failItem = ({ id, index }) =>
      index.startsWith('events-') && id === 'acct-1:b' ? { status: 429 } : undefined;
    const events = [storedEvent({ event_id: 'a' }), storedEvent({ event_id: 'b' })];

    // Act
    const outcome = await indexRecords(kinesisEvent(events).Records, deps(search), deadline());

    // Assess
    expect(documentCalls(search).length).toBeGreaterThan(2);
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000002' }]);
  });

  it('dead-letters a mapping error with its reason and does not retry it', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    search.failItem = ({ id, index }) =>
      index.startsWith('events-') && id === 'acct-1:bad'
        ? {
            status: 400,
            error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [value]' },
          }
        : undefined;
    const events = [storedEvent({ event_id: 'a' }), storedEvent({ event_id: 'bad' })];

    // Act
    const outcome = await indexRecords(kinesisEvent(events).Records, deps(search), deadline());

    // Assess
    expect(documentCalls(search)).toHaveLength(1);
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts.deadLettered).toBe(1);
    expect(deadLetterBodies()).toEqual([
      expect.objectContaining({
        source: 'indexer',
        reason: '400 mapper_parsing_exception: failed to parse field [value]',
        sequenceNumber: '00000000000000000002',
        event: events[1],
      }),
    ]);
  });

  it('reports a record as failed when its dead letter is refused by SQS', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
    });
    const search = new FakeOpenSearch();
    search.failItem = ({ index }) =>
      index.startsWith('events-') ? { status: 400, error: { type: 'mapper_parsing_exception' } } : undefined;

    // Act
    const outcome = await indexRecords(kinesisEvent([storedEvent()]).Records, deps(search), deadline());

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000001' }]);
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 1 });
  });

  it('reports a record as failed when the dead-letter request itself fails', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).rejects(new Error('sqs down'));
    const search = new FakeOpenSearch();
    search.failItem = ({ index }) => (index.startsWith('events-') ? { status: 400 } : undefined);

    // Act
    const outcome = await indexRecords(kinesisEvent([storedEvent()]).Records, deps(search), deadline());

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000001' }]);
  });

  it('dead-letters records that fail decoding or admission, and never sends them to OpenSearch', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    let deep: unknown = 1;
    for (let level = 0; level < 4_100; level += 1) deep = [deep];
    const records = [
      kinesisRecord('not json'),
      kinesisRecord({ type: 'no_account' }),
      kinesisRecord(storedEvent({ event_id: 'deep', properties: { a: deep } })),
      kinesisRecord(storedEvent({ event_id: 'lone-\ud800' })),
      kinesisRecord(storedEvent({ event_id: 'fine' })),
    ];
    const invalidUtf8 = kinesisRecord('x');
    invalidUtf8.kinesis.data = Buffer.from([0x7b, 0xff, 0x7d]).toString('base64');
    records.push(invalidUtf8);

    // Act
    const outcome = await indexRecords(records, deps(search), deadline());

    // Assess
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 5, failed: 0 });
    expect(search.documents('events-').map((doc) => doc.id)).toEqual(['acct-1:fine']);
    expect(deadLetterBodies().map((body) => body.reason)).toEqual([
      expect.stringMatching(/^record data is not JSON/),
      expect.stringMatching(/^record is not a stored event: account_id/),
      expect.stringMatching(/^record is not storable: properties\.a\.0\.0.*nested more than 16 levels/),
      expect.stringMatching(/^record is not storable: event_id: value must be well-formed Unicode/),
      'record data is not valid UTF-8',
    ]);
  });

  it('reports every record when OpenSearch is unreachable', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    search.failRequest = (kind) =>
      kind === 'delete' ? undefined : new Error('connect ECONNREFUSED 127.0.0.1:9200');

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent(), storedEvent()]).Records,
      deps(search),
      deadline(),
    );

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([
      { itemIdentifier: '00000000000000000001' },
      { itemIdentifier: '00000000000000000002' },
    ]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('splits bulk requests by size', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    const events = Array.from({ length: 4 }, () => storedEvent({ properties: { text: 'x'.repeat(400) } }));

    // Act
    await indexRecords(kinesisEvent(events).Records, deps(search, { maxBulkBytes: 1500 }), deadline());

    // Assess
    expect(documentCalls(search).map((ids) => ids.length)).toEqual([2, 2]);
  });
});
