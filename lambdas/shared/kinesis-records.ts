/**
 * Decoding of the stream records every consumer receives: base64 data holding one stored event.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { formatIssues, type StoredEvent, storedEventSchema } from './event-schema.js';

export type { KinesisStreamBatchResponse, KinesisStreamEvent };

export interface DecodedRecord {
  ok: true;
  sequenceNumber: string;
  event: StoredEvent;
}

export interface UndecodableRecord {
  ok: false;
  sequenceNumber: string;
  /** Why the record could not be decoded. */
  reason: string;
  /** The record's data as it arrived (base64), kept for the dead-letter queue. */
  data: string;
  partitionKey: string;
}

export type RecordDecoding = DecodedRecord | UndecodableRecord;

/** Decodes one stream record into its stored event, or says why it cannot. */
export function decodeRecord(record: KinesisStreamRecord): RecordDecoding {
  const { sequenceNumber, data, partitionKey } = record.kinesis;
  const fail = (reason: string): UndecodableRecord => ({
    ok: false,
    sequenceNumber,
    reason,
    data,
    partitionKey,
  });
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch (error) {
    return fail(`record data is not JSON: ${(error as Error).message}`);
  }
  const parsed = storedEventSchema.safeParse(json);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues)
      .map((issue) => `${issue.path || '(event)'}: ${issue.message}`)
      .join('; ');
    return fail(`record is not a stored event: ${problems}`);
  }
  return { ok: true, sequenceNumber, event: parsed.data };
}

/** The batch response naming the records Lambda must redeliver (it checkpoints at the lowest). */
export function batchResponse(failedSequenceNumbers: Iterable<string>): KinesisStreamBatchResponse {
  return {
    batchItemFailures: [...new Set(failedSequenceNumbers)].map((itemIdentifier) => ({ itemIdentifier })),
  };
}
