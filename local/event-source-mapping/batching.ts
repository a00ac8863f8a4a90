/**
 * When records read from a shard make a batch, as Lambda decides it: at BatchSize records, when the
 * batching window (MaximumBatchingWindowInSeconds, counted from the first buffered record) has passed,
 * at once with a window of 0, or when a closed shard has nothing more to give.
 */
export interface BatchingState {
  bufferedRecords: number;
  /** When the oldest buffered record was read (epoch ms); meaningless without buffered records. */
  bufferedSinceMs: number;
  /** The shard has no more records (closed by a reshard and read to its end). */
  shardExhausted: boolean;
}

export interface BatchingSettings {
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
}

/** True when the buffered records should be invoked now. */
export function batchReady(state: BatchingState, settings: BatchingSettings, nowMs: number): boolean {
  if (state.bufferedRecords === 0) return false;
  if (state.bufferedRecords >= settings.batchSize || state.shardExhausted) return true;
  const windowMs = settings.maximumBatchingWindowInSeconds * 1000;
  return windowMs === 0 || nowMs - state.bufferedSinceMs >= windowMs;
}
