import { describe, expect, it } from 'vitest';
import { storedBatches, streamRecord } from '../../../bench/e2e/opensearch-alone.js';
import { benchBodies } from '../../../bench/ingest/bodies.js';

describe('bench:e2e OpenSearch alone', () => {
  it('feeds the indexer the stored events of the bodies, as ingest writes them, one batch per body', () => {
    // Prepare
    const bodies = benchBodies(2, 3, Date.parse('2026-11-22T10:00:00.000Z'));
    const receivedAt = new Date('2026-11-22T10:00:05.000Z');

    // Act
    const batches = storedBatches(bodies, 'acct_alone', receivedAt);
    const record = streamRecord((batches[1] as string[])[2] as string, 7);

    // Assess: the client's fields, plus the account and receipt the server adds.
    expect(batches.map((batch) => batch.length)).toEqual([3, 3]);
    const sent = (JSON.parse(bodies[1] as string) as { events: Record<string, unknown>[] }).events[2];
    const decoded = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
    expect(decoded).toMatchObject({
      ...sent,
      account_id: 'acct_alone',
      received_at: receivedAt.toISOString(),
    });
    expect(record.kinesis.sequenceNumber).toBe('00000000000000000007');
  });
});
