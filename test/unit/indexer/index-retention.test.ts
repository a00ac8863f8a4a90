/**
 * Retention of the daily event indices: their number stays bounded whatever accounts send and however
 * long the pipeline runs, so the node never runs out of shards for the next day's index; and nothing the
 * stats API or admission can still reach is ever deleted.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { EVENT_INDEX_RETENTION_DAYS, expiredEventIndices } from '../../../lambdas/indexer/index-retention.js';
import { eventsIndexName } from '../../../lambdas/indexer/index-template.js';
import { indexRecords } from '../../../lambdas/indexer/indexer-core.js';
import { MAX_BACKFILL_HORIZON_MS } from '../../../lambdas/shared/event-limits.js';
import { DATA_HORIZON_MS } from '../../../lambdas/stats/rollup-model.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { fakeTiming, kinesisEvent, storedEvent } from '../../helpers/factories.js';
import { FakeOpenSearch } from '../../helpers/fake-opensearch.js';
import { indexerDeadline, indexerDeps } from '../../helpers/indexer-fixtures.js';

const sqs = mockClient(SQSClient);
const DAY_MS = 24 * 3600 * 1000;
/** The node's default `cluster.max_shards_per_node`; each daily index is one shard. */
const MAX_SHARDS_PER_NODE = 1000;

const eventIndexDeletes = (search: FakeOpenSearch) =>
  search.deleted.filter((names) => names[0]?.startsWith('events-'));

describe('the daily event indices past retention', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it('are deleted by the indexer once per UTC day', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    const state = {};
    const timing = fakeTiming(Date.parse('2026-01-15T10:30:00.000Z'));

    // Act: two batches the same day
    for (let batch = 0; batch < 2; batch += 1) {
      await indexRecords(
        kinesisEvent([storedEvent()]).Records,
        indexerDeps(search, { eventIndexRetention: state, timing }),
        indexerDeadline(),
      );
    }

    // Assess: 2026-01-15 less 402 days is 2024-12-09
    expect(eventIndexDeletes(search)).toHaveLength(1);
    expect(eventIndexDeletes(search)[0]?.[0]).toBe('events-2024.12.09');
  });

  it("are those past retention by the stream's clock when the indexer's clock is stepped a year ahead", async () => {
    // Prepare: the records reached the stream on 2026-01-15; the indexer's clock says 2027-01-15
    const search = new FakeOpenSearch();
    const timing = fakeTiming(Date.parse('2027-01-15T10:30:00.000Z'));

    // Act
    await indexRecords(
      kinesisEvent([storedEvent()]).Records,
      indexerDeps(search, { eventIndexRetention: {}, timing }),
      indexerDeadline(),
    );

    // Assess: nothing of 2025, whose events the stats API still serves, is deleted
    expect(eventIndexDeletes(search)).toEqual([
      expiredEventIndices('events', Date.parse('2026-01-15T10:20:31Z')),
    ]);
    expect(
      eventIndexDeletes(search)
        .flat()
        .filter((name) => name.startsWith('events-2025')),
    ).toEqual([]);
  });

  it('are tried again with the next batch when the delete fails, and the events are indexed regardless', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    search.failRequest = (kind, call) =>
      kind === 'delete' && call <= 2 ? new Error('socket hang up') : undefined;
    const state = {};

    // Act
    const first = await indexRecords(
      kinesisEvent([storedEvent()]).Records,
      indexerDeps(search, { eventIndexRetention: state }),
      indexerDeadline(),
    );
    await indexRecords(
      kinesisEvent([storedEvent()]).Records,
      indexerDeps(search, { eventIndexRetention: state }),
      indexerDeadline(),
    );

    // Assess
    expect(first.counts).toMatchObject({ done: 1, failed: 0 });
    expect(eventIndexDeletes(search).length).toBeGreaterThanOrEqual(2);
  });

  it('never include the index of an instant the stats API can still ask for, nor one admission can write', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2200-01-01T00:00:00Z') }),
        fc.integer({ min: 0, max: DATA_HORIZON_MS - 1 }),
        (now, age) => {
          // The API answers for instants after now - 400 days; admission reaches back 365 days at most.
          const expired = expiredEventIndices('events', now);
          expect(expired).not.toContain(eventsIndexName('events', new Date(now - age)));
          expect(expired).not.toContain(eventsIndexName('events', new Date(now - MAX_BACKFILL_HORIZON_MS)));
        },
      ),
    );
  });

  it('keep the event indices well under the shards a node holds, whatever the backfill', () => {
    // Every index the pipeline can hold at once: the days kept, today, and a day of clock skew ahead.
    const kept = EVENT_INDEX_RETENTION_DAYS + 2;
    expect(kept).toBeGreaterThan(DATA_HORIZON_MS / DAY_MS);
    expect(kept).toBeLessThan(MAX_SHARDS_PER_NODE / 2);
  });

  it('cover the days just past retention first, then a month back for an indexer idle that long', () => {
    // Act
    const expired = expiredEventIndices('events', Date.parse('2026-01-15T00:00:00.000Z'));

    // Assess
    expect(expired[0]).toBe('events-2024.12.09');
    expect(expired).toHaveLength(31);
    expect(expired.at(-1)).toBe('events-2024.11.09');
  });
});
