import { describe, expect, it } from 'vitest';
import { batchReady } from '../../../local/event-source-mapping/batching.js';

const NOW = 1_000_000;
const settings = { batchSize: 10, maximumBatchingWindowInSeconds: 1 };
const buffered = (count: number, sinceMsAgo = 0, shardExhausted = false) => ({
  bufferedRecords: count,
  bufferedSinceMs: NOW - sinceMsAgo,
  shardExhausted,
});

describe('batchReady', () => {
  it('never invokes with nothing buffered', () => {
    expect(batchReady(buffered(0, 10_000, true), settings, NOW)).toBe(false);
  });

  it('invokes at BatchSize records without waiting for the window', () => {
    expect(batchReady(buffered(10), settings, NOW)).toBe(true);
  });

  it('waits for the batching window with fewer records', () => {
    expect(batchReady(buffered(3, 999), settings, NOW)).toBe(false);
    expect(batchReady(buffered(3, 1000), settings, NOW)).toBe(true);
  });

  it('invokes at once with a window of 0', () => {
    expect(batchReady(buffered(1), { ...settings, maximumBatchingWindowInSeconds: 0 }, NOW)).toBe(true);
  });

  it('invokes what is left of a closed shard at once', () => {
    expect(batchReady(buffered(2, 0, true), settings, NOW)).toBe(true);
  });
});
