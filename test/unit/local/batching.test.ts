import { describe, expect, it } from 'vitest';
import { batchReady, nextBatchLength } from '../../../local/event-source-mapping/batching.js';

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

describe('nextBatchLength', () => {
  const record = (bytes: number) => ({ data: new Uint8Array(bytes), partitionKey: 'pk' });

  it('takes BatchSize records when they fit in an invocation payload', () => {
    expect(nextBatchLength([record(10), record(10), record(10)], 2)).toBe(2);
  });

  it('stops at the 6 MB payload limit, and always takes one record', () => {
    const mib = (count: number) => Array.from({ length: count }, () => record(1024 * 1024));
    expect(nextBatchLength(mib(10), 500)).toBe(4);
    expect(nextBatchLength(mib(1), 500, 1000)).toBe(1);
  });

  it('makes a full payload a ready batch, window or not', () => {
    expect(batchReady({ ...buffered(3, 0), payloadFull: true }, settings, NOW)).toBe(true);
  });
});
