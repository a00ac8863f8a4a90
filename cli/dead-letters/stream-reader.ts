/**
 * Re-reads the records of a discarded batch from the stream, by sequence number: an on-failure record
 * names only the shard and the first and last sequence numbers. `GetShardIterator AT_SEQUENCE_NUMBER`
 * at the first, then `GetRecords` until the last. Records live as long as the stream's retention (7
 * days; the durable mappings give up at 6), so this works for about a day after the discard; after
 * that the records have aged out and the reader says so.
 */
import {
  type _Record,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { errorSummary } from '../../lambdas/shared/error-summary.js';
import { decodeRecord, type RecordDecoding } from '../../lambdas/shared/kinesis-records.js';
import { sequenceAfter } from '../../lambdas/stats/rollup-model.js';
import { type BatchLetter, streamNameOfArn } from './letters.js';

/** One record as it was on the stream. */
export interface StreamRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Buffer;
  arrivedAt: number;
}

export interface BatchRange {
  streamName: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
}

export type RangeRead =
  | { ok: true; records: StreamRecord[] }
  /** Some or all records are gone: `records` holds those still there (possibly none). */
  | { ok: false; records: StreamRecord[]; reason: string };

/** GetRecords calls without reaching the end before giving up (an empty shard tail, say). */
const MAX_EMPTY_READS = 20;

/** Reads the records of a discarded batch from the stream its on-failure record names (else `streamName`). */
export function readBatch(
  kinesis: KinesisClient,
  streamName: string,
  letter: BatchLetter,
): Promise<RangeRead> {
  return readRange(kinesis, {
    streamName: streamNameOfArn(letter.streamArn) ?? streamName,
    shardId: letter.shardId,
    startSequenceNumber: letter.startSequenceNumber,
    endSequenceNumber: letter.endSequenceNumber,
    batchSize: letter.batchSize,
  });
}

/** Reads the records from `startSequenceNumber` to `endSequenceNumber` (both included). */
export async function readRange(kinesis: KinesisClient, range: BatchRange): Promise<RangeRead> {
  let iterator: string | undefined;
  try {
    const output = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: range.streamName,
        ShardId: range.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: range.startSequenceNumber,
      }),
    );
    iterator = output.ShardIterator;
  } catch (error) {
    return { ok: false, records: [], reason: unreadable(error, range) };
  }
  const records: StreamRecord[] = [];
  let emptyReads = 0;
  let reachedEnd = false;
  while (iterator && !reachedEnd && emptyReads < MAX_EMPTY_READS) {
    let output: GetRecordsCommandOutput;
    try {
      output = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    } catch (error) {
      return { ok: false, records, reason: unreadable(error, range) };
    }
    const batch = output.Records ?? [];
    emptyReads = batch.length === 0 ? emptyReads + 1 : 0;
    for (const record of batch) {
      const sequenceNumber = record.SequenceNumber ?? '';
      if (sequenceAfter(sequenceNumber, range.endSequenceNumber)) {
        reachedEnd = true;
        break;
      }
      records.push(toStreamRecord(range.shardId, record));
      if (sequenceNumber === range.endSequenceNumber) reachedEnd = true;
    }
    iterator = output.NextShardIterator;
    if (!reachedEnd && batch.length === 0 && output.MillisBehindLatest === 0) break;
  }
  return checkComplete(range, records);
}

/**
 * Why a range could not be read. Never thrown: one letter naming a deleted stream, or sequence numbers
 * Kinesis refuses (a malformed on-failure record), must not stop the redrive or listing of the others;
 * the letter is kept with this reason.
 */
function unreadable(error: unknown, range: BatchRange): string {
  const { name, message } = errorSummary(error);
  const detail = `${name}: ${message}`;
  if (name === 'ResourceNotFoundException') {
    return `the records are no longer on the stream (${detail}): they aged out of its retention, or stream ${range.streamName} or its shard ${range.shardId} was deleted`;
  }
  if (name === 'InvalidArgumentException') {
    return `the records are no longer on the stream (${detail}); they aged out of its retention`;
  }
  return `records ${range.startSequenceNumber} to ${range.endSequenceNumber} of ${range.streamName}/${range.shardId} could not be read (${detail})`;
}

function toStreamRecord(shardId: string, record: _Record): StreamRecord {
  return {
    shardId,
    sequenceNumber: record.SequenceNumber ?? '',
    partitionKey: record.PartitionKey ?? '',
    data: Buffer.from(record.Data ?? new Uint8Array()),
    arrivedAt: record.ApproximateArrivalTimestamp?.getTime() ?? 0,
  };
}

/**
 * A batch is a run of consecutive records of one shard: the read is whole when it starts at the batch's
 * first record (a trimmed start leaves the iterator at the oldest record still kept) and ends at its last.
 */
function checkComplete(range: BatchRange, records: StreamRecord[]): RangeRead {
  const first = records[0];
  if (!first || first.sequenceNumber !== range.startSequenceNumber) {
    return {
      ok: false,
      records,
      reason: `record ${range.startSequenceNumber} is no longer on shard ${range.shardId}: the batch aged out of the stream's retention`,
    };
  }
  const last = records[records.length - 1];
  if (last?.sequenceNumber !== range.endSequenceNumber) {
    return {
      ok: false,
      records,
      reason: `read ${records.length} of ${range.batchSize} record(s) but not the last, ${range.endSequenceNumber}`,
    };
  }
  return { ok: true, records };
}

/**
 * Decodes a record with the consumers' own decoder (strict UTF-8, the admission checks, the schema), as
 * Lambda would hand it to them: what decodes can be redriven, what does not would be dead-lettered again.
 */
export function decodeStreamRecord(
  record: Pick<StreamRecord, 'sequenceNumber' | 'partitionKey' | 'data'> & {
    shardId?: string;
    arrivedAt?: number;
  },
): RecordDecoding {
  return decodeRecord({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: record.data.toString('base64'),
      approximateArrivalTimestamp: (record.arrivedAt ?? 0) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${record.shardId ?? 'unknown'}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: '',
    awsRegion: '',
    eventSourceARN: '',
  });
}
