import { describe, expect, it } from 'vitest';
import { ceilings, ceilingWithOpenSearchAlone } from '../../../bench/e2e/ceilings.js';

describe('bench:e2e ceilings', () => {
  it('charges the servers their pipeline work, raw rounds included except OpenSearch, and bounds the ratio', () => {
    // Prepare: 10,000 events through each subject, raw _bulk at 4,000 events/s, 2 cores.
    const cpu = {
      pipeline: { 'opensearch (java)': 6, 'dynamodb-local (java)': 2, 'kinesalite (node)': 2, bench: 1 },
      raw: { 'opensearch (java)': 2, 'dynamodb-local (java)': 1 },
    };

    // Act
    const result = ceilings(cpu, { pipeline: 10_000, raw: 10_000 }, 4_000, 2);

    // Assess: (6 + 2 + 1 + 2) s / 10,000 events = 1.1 ms per event; 2 cores / 1.1 ms = 1,818 events/s.
    expect(result.serversCpuMsPerEvent).toBeCloseTo(1.1, 6);
    expect(result.serversCeilingEventsPerSecond).toBeCloseTo(2000 / 1.1, 6);
    expect(result.ceilingRatio).toBeCloseTo(2000 / 1.1 / 4000, 6);
    expect(result.opensearchWorkVsRaw).toBeCloseTo(3, 6);
    expect(result.cpuMsPerEvent.pipeline.bench).toBeCloseTo(0.1, 6);
  });

  it('charges OpenSearch only its cost alone, every other process as measured', () => {
    // Prepare: per event, raw _bulk costs OpenSearch 0.2 ms; the pipeline's other processes 0.5 ms, and
    // DynamoDB Local 0.1 ms more during raw rounds (rollups behind the indexer).
    const cpu = {
      pipeline: { 'opensearch (java)': 6, 'dynamodb-local (java)': 2, 'kinesalite (node)': 2, bench: 1 },
      raw: { 'opensearch (java)': 2, 'dynamodb-local (java)': 1, bench: 3 },
    };
    const result = ceilings(cpu, { pipeline: 10_000, raw: 10_000 }, 4_000, 2);

    // Act: the indexer's requests alone cost OpenSearch 1.5x raw _bulk.
    const capped = ceilingWithOpenSearchAlone(result, 1.5, 4_000);

    // Assess: 0.5 + 0.1 + 0.2 * 1.5 = 0.9 ms per event (the bench's raw-round work is not the pipeline's).
    expect(capped.cpuMsPerEvent).toBeCloseTo(0.9, 6);
    expect(capped.eventsPerSecond).toBeCloseTo(2000 / 0.9, 6);
    expect(capped.ratio).toBeCloseTo(2000 / 0.9 / 4000, 6);
  });
});
