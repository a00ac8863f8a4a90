/**
 * The sinks' crash journals count the starts of the function on a record without an end, in the
 * sink's own store: OpenSearch for the indexer, the rollups table for the rollup writer.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { openSearchCrashJournal } from '../../../lambdas/indexer/crash-journal.js';
import { indexRecords } from '../../../lambdas/indexer/indexer-core.js';
import type { RequestOptions } from '../../../lambdas/indexer/search-api.js';
import { type DecodedRecord, decodeRecord } from '../../../lambdas/shared/kinesis-records.js';
import type { CrashJournal } from '../../../lambdas/shared/stream-consumer-crashes.js';
import { dynamoCrashJournal } from '../../../lambdas/stats/rollup-crash-journal.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { fakeTiming, kinesisEvent, kinesisRecord, storedEvent } from '../../helpers/factories.js';
import { FakeOpenSearch } from '../../helpers/fake-opensearch.js';
import { type FakeTable, fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import { indexerDeps } from '../../helpers/indexer-fixtures.js';
import { rollupDeps } from '../../helpers/rollup-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const deadline = Date.parse('2026-01-15T10:31:00.000Z');
const record = decodeRecord(kinesisRecord(storedEvent())) as DecodedRecord;

async function startsCounted(journal: CrashJournal): Promise<number[]> {
  const first = await journal.begin(record, deadline);
  const second = await journal.begin(record, deadline);
  await journal.end(record, deadline);
  const afterEnd = await journal.begin(record, deadline);
  await journal.end(record, deadline);
  await journal.end(record, deadline);
  return [first, second, afterEnd];
}

describe('crash journals', () => {
  let table: FakeTable;
  beforeEach(() => {
    dynamo.reset();
    table = fakeRollupsTable(dynamo);
  });

  it('in OpenSearch: counts starts without an end, outside the indices searches read', async () => {
    // Prepare
    const search = new FakeOpenSearch();

    // Act
    const counted = await startsCounted(openSearchCrashJournal(search, 'events', fakeTiming().now));

    // Assess
    expect(counted).toEqual([1, 2, 1]);
    expect(search.documents('events-')).toEqual([]);
    expect(search.documents('events_crashes')).toEqual([]);
  });

  it('in the rollups table: counts starts without an end, in an item that expires', async () => {
    // Prepare
    const journal = dynamoCrashJournal(rollupDeps());
    await journal.begin(record, deadline);
    await journal.begin(record, deadline);

    // Act
    const item = table.withPrefix('C#');
    const counted = await startsCounted(journal);

    // Assess
    expect(item).toEqual([
      expect.objectContaining({ pk: `C#${record.recordId}`, starts: 2, expiresAt: expect.any(Number) }),
    ]);
    expect(counted).toEqual([3, 4, 1]);
    expect(table.withPrefix('C#')).toEqual([]);
  });
});

/** A request needs at least this long to reach the node and come back. */
const ROUND_TRIP_MS = 20;

/**
 * OpenSearch whose daily events index does not answer writes (its primary shard unavailable: OpenSearch
 * waits for it past any request timeout), while every other index answers in a round trip.
 */
class EventsIndexHanging extends FakeOpenSearch {
  constructor(private readonly timing: ReturnType<typeof fakeTiming>) {
    super();
  }

  override async bulk(params: { body: Record<string, unknown>[] }, options?: RequestOptions) {
    const timeout = options?.requestTimeout ?? 30_000;
    const hangs = params.body.some(
      (line) => (line.create as { _index?: string } | undefined)?._index?.startsWith('events-') ?? false,
    );
    if (hangs || timeout < ROUND_TRIP_MS) {
      await this.timing.sleep(timeout);
      throw Object.assign(new Error('Request timed out'), { name: 'TimeoutError' });
    }
    await this.timing.sleep(ROUND_TRIP_MS);
    return super.bulk(params, options);
  }
}

describe("the indexer's crash journal under a slow sink", () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it('clears a lone old record whose writes waited until the deadline: never dead-lettered as a crash', async () => {
    // Prepare: a record alone and minutes old (a suspect for the journal), whose index hangs
    const timing = fakeTiming();
    const search = new EventsIndexHanging(timing);
    const deps = indexerDeps(search, { timing });
    const records = kinesisEvent([storedEvent()]).Records;

    // Act: the mapping invokes the function on it again and again while the index hangs (each
    // invocation's work stops at its deadline; the function finishes within its timeout every time)
    const outcomes = [];
    for (let invocation = 0; invocation < 5; invocation += 1) {
      outcomes.push(await indexRecords(records, deps, timing.now() + 55_000));
      await timing.sleep(1_000);
    }

    // Assess: reported for redelivery every time, never given up on as a record that crashes the function
    for (const outcome of outcomes) expect(outcome.counts).toMatchObject({ failed: 1, deadLettered: 0 });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(search.documents('events_crashes')).toEqual([]);
  });
});
