/**
 * The indexer's classification, per event (DESIGN.md rule 3): what an OpenSearch failure means for the
 * events it concerns. Errors about the index or cluster wait, whatever their status; errors about the
 * document are dead-lettered at once; a request refused as a whole is bisected to the event at fault;
 * an unrecognised error is the event's own only while OpenSearch serves the others.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { errors } from '@opensearch-project/opensearch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { indexRecords } from '../../../lambdas/indexer/indexer-core.js';
import { classifyBulkItem, classifyRequestError } from '../../../lambdas/indexer/opensearch-errors.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { kinesisEvent, storedEvent } from '../../helpers/factories.js';
import { FakeOpenSearch } from '../../helpers/fake-opensearch.js';
import { indexerDeadline, indexerDeps } from '../../helpers/indexer-fixtures.js';
import { RecordedMetrics } from '../../helpers/recorded-metrics.js';

const sqs = mockClient(SQSClient);

function deadLetterBodies(): Record<string, unknown>[] {
  return sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '{}'));
}

/** An OpenSearch client ResponseError for a whole request. */
function responseError(statusCode: number, type: string): Error {
  return new errors.ResponseError({
    body: { error: { type, reason: `${type} happened` }, status: statusCode },
    statusCode,
    headers: {},
    warnings: null,
    meta: {} as never,
  } as never);
}

const toEvents = (search: FakeOpenSearch, item: { status: number; error?: { type: string } }) => {
  search.failItem = ({ index }) => (index.startsWith('events-') ? item : undefined);
};

describe('a _bulk item error about the index or the cluster waits, whatever its status', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it.each([
    ['a write block', 403, 'cluster_block_exception'],
    ['a closed index', 400, 'index_closed_exception'],
    ['a missing index (auto-create off)', 404, 'index_not_found_exception'],
    ['unavailable shards', 503, 'unavailable_shards_exception'],
    ['a tripped circuit breaker', 429, 'circuit_breaking_exception'],
    ['a full write queue', 429, 'es_rejected_execution_exception'],
    ['a full write queue (OpenSearch name)', 429, 'rejected_execution_exception'],
    ['a 503 of any kind', 503, 'whatever_exception'],
  ])('%s (%i %s): retried, then reported, never dead-lettered', async (_what, status, type) => {
    // Prepare
    const search = new FakeOpenSearch();
    toEvents(search, { status, error: { type } });
    const metrics = new RecordedMetrics();

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent(), storedEvent()]).Records,
      indexerDeps(search, { metrics }),
      indexerDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ done: 0, deadLettered: 0, failed: 2 });
    expect(outcome.counts.retried).toBeGreaterThan(0);
    expect(outcome.response.batchItemFailures).toHaveLength(2);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(metrics.totals).toMatchObject({ EventsFailed: 2 });
    expect(metrics.totals.EventsDeadLettered).toBeUndefined();
  });

  it('waits when the cluster is out of shards for a new daily index, even while other days are written', async () => {
    // Prepare: one event of a day whose index exists, one of a day whose index the cluster refuses to create
    const search = new FakeOpenSearch();
    search.failItem = ({ index }) =>
      index === 'events-2025.11.01'
        ? {
            status: 400,
            error: {
              type: 'validation_exception',
              reason:
                'Validation Failed: 1: this action would add [1] total shards, but this cluster currently has [1000]/[1000] maximum shards open;',
            },
          }
        : undefined;
    const backfilled = storedEvent({ timestamp: '2025-11-01T10:00:00.000Z' });

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent(), backfilled]).Records,
      indexerDeps(search),
      indexerDeadline(),
    );

    // Assess: the event of the refused day is reported for redelivery, not dead-lettered as its own fault
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 0, failed: 1 });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it.each([
    [503, 'whatever_exception'],
    [503, ''],
    [502, 'bad_gateway'],
    [504, 'gateway_timeout'],
    [500, 'already_closed_exception'],
    [500, 'engine_closed_exception'],
    [500, 'i_o_exception'],
  ])('a %i %s for part of a bulk waits, though the other items are created', async (status, type) => {
    // Prepare: OpenSearch answers the second event's item with an error about itself (a shard of the
    // node), while it creates the first event's document in the same _bulk
    const search = new FakeOpenSearch();
    search.failItem = ({ index, id }) =>
      index.startsWith('events-') && id === 'acct-1:second'
        ? { status, ...(type ? { error: { type, reason: `${type} happened` } } : {}) }
        : undefined;

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent({ event_id: 'first' }), storedEvent({ event_id: 'second' })]).Records,
      indexerDeps(search),
      indexerDeadline(),
    );

    // Assess: retried, then reported for redelivery; never dead-lettered as the event's own fault
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 0, failed: 1 });
    expect(outcome.counts.retried).toBeGreaterThan(0);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('treats the registry index the same: a write block on it waits', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    search.failItem = ({ index }) =>
      index.startsWith('events_registry-')
        ? { status: 403, error: { type: 'cluster_block_exception' } }
        : undefined;

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent()]).Records,
      indexerDeps(search),
      indexerDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 1 });
    expect(search.documents('events-')).toEqual([]);
  });

  it('treats a closed registry index seen by the lookup as a wait', async () => {
    // Prepare: the realtime _mget of a closed index fails as a whole
    const search = new FakeOpenSearch();
    search.failRequest = (kind) =>
      kind === 'mget' ? responseError(400, 'index_closed_exception') : undefined;

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent()]).Records,
      indexerDeps(search),
      indexerDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 1 });
  });
});

describe('a _bulk item error about the document is dead-lettered at once', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it.each([
    [400, 'mapper_parsing_exception', 'document-rejected'],
    [400, 'strict_dynamic_mapping_exception', 'document-rejected'],
    [400, 'illegal_argument_exception', 'document-rejected'],
    [400, 'document_parsing_exception', 'document-rejected'],
    [413, 'content_too_long_exception', 'document-too-large'],
  ])('%i %s -> %s, while the rest of the batch is indexed', async (status, type, reasonCode) => {
    // Prepare
    const search = new FakeOpenSearch();
    search.failItem = ({ index, id }) =>
      index.startsWith('events-') && id === 'acct-1:poison' ? { status, error: { type } } : undefined;
    const metrics = new RecordedMetrics();
    const events = [storedEvent(), storedEvent({ event_id: 'poison' }), storedEvent()];

    // Act
    const outcome = await indexRecords(
      kinesisEvent(events).Records,
      indexerDeps(search, { metrics }),
      indexerDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ done: 2, deadLettered: 1, failed: 0, retried: 0 });
    expect(deadLetterBodies()).toEqual([
      expect.objectContaining({
        reasonCode,
        eventKey: 'acct-1:poison',
        accountId: 'acct-1',
        shardId: 'shardId-000000000000',
        event: events[1],
      }),
    ]);
    expect(metrics.byReason).toEqual({ [`EventsDeadLettered/${reasonCode}`]: 1 });
    expect(metrics.totals).toMatchObject({ EventsIndexed: 2, EventsDeadLettered: 1 });
  });
});

describe('an unrecognised item error', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  const strange = { status: 500, error: { type: 'never_seen_exception' } };

  it('is the event own when other items of the same request succeeded: dead-lettered', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    search.failItem = ({ index, id }) =>
      index.startsWith('events-') && id === 'acct-1:odd' ? strange : undefined;

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent(), storedEvent({ event_id: 'odd' })]).Records,
      indexerDeps(search),
      indexerDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ done: 1, deadLettered: 1, failed: 0 });
    expect(deadLetterBodies()[0]).toMatchObject({ reasonCode: 'unrecognised-error', eventKey: 'acct-1:odd' });
  });

  it('waits while nothing else succeeds: it may be OpenSearch failing', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    toEvents(search, strange);

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent(), storedEvent()]).Records,
      indexerDeps(search),
      indexerDeadline(),
    );

    // Assess
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 2 });
  });
});

describe('a request refused as a whole', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it.each([
    [413, 'content_too_long_exception', 'document-too-large'],
    [400, 'action_request_validation_exception', 'request-invalid'],
  ])(
    '%i %s: is bisected until the event at fault is alone, which alone is dead-lettered',
    async (status, type, reasonCode) => {
      // Prepare: any _bulk carrying the poison's document is refused whole
      const search = new FakeOpenSearch();
      search.failRequest = (kind, _call, ids) =>
        kind === 'bulk' && ids.includes('acct-1:poison') && !ids.every((id) => id.startsWith('acct-1:poison'))
          ? responseError(status, type)
          : kind === 'bulk' && ids.length === 1 && ids[0] === 'acct-1:poison'
            ? responseError(status, type)
            : undefined;
      const events = Array.from({ length: 7 }, (_, index) =>
        storedEvent({ event_id: index === 4 ? 'poison' : `ok-${index}` }),
      );

      // Act
      const outcome = await indexRecords(
        kinesisEvent(events).Records,
        indexerDeps(search),
        indexerDeadline(),
      );

      // Assess
      expect(outcome.counts).toMatchObject({ done: 6, deadLettered: 1, failed: 0, retried: 0 });
      expect(deadLetterBodies()).toEqual([
        expect.objectContaining({ reasonCode, eventKey: 'acct-1:poison' }),
      ]);
      expect(
        search
          .documents('events-')
          .map((doc) => doc.id)
          .sort(),
      ).toEqual(['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-5', 'ok-6'].map((id) => `acct-1:${id}`));
    },
  );

  it.each([
    ['connection refused', new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200', {} as never)],
    ['a timeout', new errors.TimeoutError('Request timed out', {} as never)],
    ['a 502 from a proxy', responseError(502, 'bad_gateway')],
    ['a 503', responseError(503, 'unavailable')],
    ['a 504', responseError(504, 'gateway_timeout')],
    ['a write block on the whole request', responseError(403, 'cluster_block_exception')],
    ['a closed index on the whole request', responseError(400, 'index_closed_exception')],
  ])('%s: waits, no bisecting, no dead letter', async (_what, error) => {
    // Prepare
    const search = new FakeOpenSearch();
    const bulkSizes: number[] = [];
    search.failRequest = (kind, _call, ids) => {
      if (kind !== 'bulk') return undefined;
      bulkSizes.push(ids.length);
      return error;
    };

    // Act
    const outcome = await indexRecords(
      kinesisEvent([storedEvent(), storedEvent(), storedEvent()]).Records,
      indexerDeps(search),
      indexerDeadline(),
    );

    // Assess: one bulk request per attempt (the registration's), never split
    expect(outcome.counts).toMatchObject({ deadLettered: 0, failed: 3 });
    expect(bulkSizes.length).toBeGreaterThan(1);
    expect(bulkSizes.every((size) => size === 3)).toBe(true);
  });
});

describe('classifyBulkItem and classifyRequestError', () => {
  it('reads a 409 on create as already indexed, and a 201 as created', () => {
    expect(classifyBulkItem({ status: 409, error: { type: 'version_conflict_engine_exception' } })).toEqual({
      kind: 'exists',
    });
    expect(classifyBulkItem({ status: 201 })).toEqual({ kind: 'created' });
  });

  it('cuts the reason OpenSearch gives, which quotes the document', () => {
    const outcome = classifyBulkItem({
      status: 400,
      error: { type: 'mapper_parsing_exception', reason: `value '${'z'.repeat(5_000)}'` },
    });
    expect(outcome.kind).toBe('permanent');
    expect(outcome.kind === 'permanent' && outcome.reason.length).toBeLessThan(1_100);
  });

  it('takes a system error below the client (ECONNRESET) as the network failing', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyRequestError(reset, 'bulk request').kind).toBe('transient');
  });

  it('leaves an error it cannot place to bisection, as unrecognised', () => {
    expect(classifyRequestError(new TypeError('x is undefined'), 'bulk request')).toMatchObject({
      kind: 'group-failed',
      eventSpecific: false,
      reasonCode: 'unrecognised-error',
    });
  });
});
