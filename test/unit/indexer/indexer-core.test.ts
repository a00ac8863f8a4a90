import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type BulkApi,
  type BulkResponseBody,
  type BulkResponseItem,
  type IndexerDeps,
  indexRecords,
} from '../../../lambdas/indexer/indexer-core.js';
import { fakeTiming, kinesisEvent, silentLog, storedEvent } from '../../helpers/factories.js';

const sqs = mockClient(SQSClient);

/** A fake OpenSearch: answers each bulk call with the next scripted status list (by document id). */
function fakeSearch(
  script: (ids: string[], call: number) => BulkResponseBody | Error,
): BulkApi & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async bulk({ body }) {
      const ids = body
        .filter((line): line is { create: { _id: string } } => 'create' in line)
        .map((line) => line.create._id);
      calls.push(ids);
      const answer = script(ids, calls.length);
      if (answer instanceof Error) throw answer;
      return { body: answer };
    },
  };
}

function bulkBody(statuses: (number | BulkResponseItem)[]): BulkResponseBody {
  const items = statuses.map((status) => ({ create: typeof status === 'number' ? { status } : status }));
  return { errors: items.some((item) => item.create.status >= 300), items };
}

function deps(search: BulkApi, overrides: Partial<IndexerDeps> = {}): IndexerDeps {
  return {
    search,
    sqs: new SQSClient({ region: 'eu-west-1' }),
    deadLetterQueueUrl: 'http://sqs/dead-letter',
    indexPrefix: 'events',
    timing: fakeTiming(),
    log: silentLog,
    ...overrides,
  };
}

const deadline = () => Date.parse('2026-01-15T10:30:00.000Z') + 10_000;

describe('indexRecords', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  it('creates each event in its daily index with a deterministic id', async () => {
    // Prepare
    const event = storedEvent({ event_id: 'e1', timestamp: '2026-01-15T23:59:59.000Z' });
    let sent: Record<string, unknown>[] = [];
    const search: BulkApi = {
      async bulk({ body }) {
        sent = body;
        return { body: bulkBody([201]) };
      },
    };

    // Act
    const outcome = await indexRecords(kinesisEvent([event]).Records, deps(search), deadline());

    // Assess
    expect(sent).toEqual([{ create: { _index: 'events-2026.01.15', _id: 'acct-1:e1' } }, event]);
    expect(outcome.response).toEqual({ batchItemFailures: [] });
    expect(outcome.counts).toEqual({ indexed: 1, alreadyIndexed: 0, deadLettered: 0, failed: 0 });
  });

  it('walks every item of an errors:true response: 409 is success, 429 is retried alone', async () => {
    // Prepare
    const events = [
      storedEvent({ event_id: 'a' }),
      storedEvent({ event_id: 'b' }),
      storedEvent({ event_id: 'c' }),
    ];
    const search = fakeSearch((ids, call) =>
      call === 1 ? bulkBody([201, 409, 429]) : bulkBody(ids.map(() => 201)),
    );

    // Act
    const outcome = await indexRecords(kinesisEvent(events).Records, deps(search), deadline());

    // Assess
    expect(search.calls).toEqual([['acct-1:a', 'acct-1:b', 'acct-1:c'], ['acct-1:c']]);
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts).toEqual({ indexed: 2, alreadyIndexed: 1, deadLettered: 0, failed: 0 });
  });

  it('reports items still throttled at the deadline as batch item failures', async () => {
    // Prepare
    const events = [storedEvent({ event_id: 'a' }), storedEvent({ event_id: 'b' })];
    const search = fakeSearch((ids) => bulkBody(ids.map((id) => (id === 'acct-1:b' ? 429 : 201))));

    // Act
    const outcome = await indexRecords(kinesisEvent(events).Records, deps(search), deadline());

    // Assess
    expect(search.calls.length).toBeGreaterThan(2);
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000002' }]);
  });

  it('dead-letters a mapping error with its reason and does not retry it', async () => {
    // Prepare
    const events = [storedEvent({ event_id: 'a' }), storedEvent({ event_id: 'bad' })];
    const search = fakeSearch(() =>
      bulkBody([
        201,
        { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [value]' } },
      ]),
    );

    // Act
    const outcome = await indexRecords(kinesisEvent(events).Records, deps(search), deadline());

    // Assess
    expect(search.calls).toHaveLength(1);
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts.deadLettered).toBe(1);
    const entries = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]?.MessageBody ?? '{}')).toMatchObject({
      source: 'indexer',
      reason: '400 mapper_parsing_exception: failed to parse field [value]',
      sequenceNumber: '00000000000000000002',
      event: events[1],
    });
  });

  it('reports a record as failed when its dead letter is refused by SQS', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
    });
    const search = fakeSearch(() => bulkBody([{ status: 400, error: { type: 'mapper_parsing_exception' } }]));

    // Act
    const outcome = await indexRecords(kinesisEvent([storedEvent()]).Records, deps(search), deadline());

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000001' }]);
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 1 });
  });

  it('reports a record as failed when the dead-letter request itself fails', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).rejects(new Error('sqs down'));
    const search = fakeSearch(() => bulkBody([{ status: 400 }]));

    // Act
    const outcome = await indexRecords(kinesisEvent([storedEvent()]).Records, deps(search), deadline());

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '00000000000000000001' }]);
  });

  it('dead-letters undecodable records with the reason', async () => {
    // Prepare
    const search = fakeSearch((ids) => bulkBody(ids.map(() => 201)));

    // Act
    const outcome = await indexRecords(
      kinesisEvent(['not json', { type: 'no_account' }, storedEvent()]).Records,
      deps(search),
      deadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ indexed: 1, deadLettered: 2 });
    const bodies = (sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? []).map((entry) =>
      JSON.parse(entry.MessageBody ?? '{}'),
    );
    expect(bodies.map((body) => body.reason)).toEqual([
      expect.stringMatching(/^record data is not JSON/),
      expect.stringMatching(/^record is not a stored event/),
    ]);
  });

  it('reports every record when OpenSearch is unreachable', async () => {
    // Prepare
    const search = fakeSearch(() => new Error('connect ECONNREFUSED 127.0.0.1:9200'));

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
    const search = fakeSearch((ids) => bulkBody(ids.map(() => 201)));
    const events = Array.from({ length: 4 }, () => storedEvent({ properties: { text: 'x'.repeat(400) } }));

    // Act
    await indexRecords(kinesisEvent(events).Records, deps(search, { maxBulkBytes: 1500 }), deadline());

    // Assess
    expect(search.calls.map((ids) => ids.length)).toEqual([2, 2]);
  });
});
