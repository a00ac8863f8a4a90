/**
 * When records read from a shard make a batch, as Lambda decides it: at BatchSize records, when the
 * batching window (MaximumBatchingWindowInSeconds, counted from the first buffered record) has passed,
 * at once with a window of 0, when a closed shard has nothing more to give, or when the records reach
 * the 6 MB payload limit of a synchronous invocation (a batch never exceeds it, whatever BatchSize says:
 * 500 records of up to 1 MiB each would otherwise make one invocation of hundreds of MB).
 */
import { MAX_INVOCATION_PAYLOAD_BYTES } from '../runtime/worker-protocol.js';

export interface BatchingState {
  bufferedRecords: number;
  /** When the oldest buffered record was read (epoch ms); meaningless without buffered records. */
  bufferedSinceMs: number;
  /** The shard has no more records (closed by a reshard and read to its end). */
  shardExhausted: boolean;
  /** The buffered records fill an invocation payload (`nextBatchLength` takes fewer than all of them). */
  payloadFull?: boolean;
}

export interface BatchingSettings {
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
}

/** What a record adds to the event besides its data and partition key (ids, ARNs, field names): generous. */
const RECORD_OVERHEAD_BYTES = 1024;

/** True when the buffered records should be invoked now. */
export function batchReady(state: BatchingState, settings: BatchingSettings, nowMs: number): boolean {
  if (state.bufferedRecords === 0) return false;
  if (state.bufferedRecords >= settings.batchSize || state.shardExhausted || state.payloadFull) return true;
  const windowMs = settings.maximumBatchingWindowInSeconds * 1000;
  return windowMs === 0 || nowMs - state.bufferedSinceMs >= windowMs;
}

/** The bytes a record takes in the invocation event: its data in base64, its partition key, the rest. */
export function recordPayloadBytes(record: { data: Uint8Array; partitionKey: string }): number {
  return (
    Math.ceil(record.data.byteLength / 3) * 4 + Buffer.byteLength(record.partitionKey) + RECORD_OVERHEAD_BYTES
  );
}

/**
 * How many of `records`, from the first, make the next batch: at most `batchSize`, and no more than fit
 * in `maxPayloadBytes` (at least one: a Kinesis record is at most 1 MiB).
 */
export function nextBatchLength(
  records: readonly { data: Uint8Array; partitionKey: string }[],
  batchSize: number,
  maxPayloadBytes: number = MAX_INVOCATION_PAYLOAD_BYTES,
): number {
  let bytes = 0;
  let length = 0;
  for (const record of records) {
    if (length >= batchSize) break;
    bytes += recordPayloadBytes(record);
    if (length > 0 && bytes > maxPayloadBytes) break;
    length += 1;
  }
  return length;
}
