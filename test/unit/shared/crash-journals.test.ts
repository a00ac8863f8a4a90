/**
 * The sinks' crash journals count the starts of the function on a record without an end, in the
 * sink's own store: OpenSearch for the indexer, the rollups table for the rollup writer.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { openSearchCrashJournal } from '../../../lambdas/indexer/crash-journal.js';
import { type DecodedRecord, decodeRecord } from '../../../lambdas/shared/kinesis-records.js';
import type { CrashJournal } from '../../../lambdas/shared/stream-consumer-crashes.js';
import { dynamoCrashJournal } from '../../../lambdas/stats/rollup-crash-journal.js';
import { fakeTiming, kinesisRecord, storedEvent } from '../../helpers/factories.js';
import { FakeOpenSearch } from '../../helpers/fake-opensearch.js';
import { type FakeTable, fakeRollupsTable } from '../../helpers/fake-rollups-table.js';
import { rollupDeps } from '../../helpers/rollup-fixtures.js';

const dynamo = mockClient(DynamoDBDocumentClient);
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
