/**
 * Decoding of the stream records every consumer receives: base64 data holding one stored event.
 *
 * Decoding re-checks admission: strict UTF-8, the iterative structural checks, the schema and the
 * stored-event limits. A record that ingest could not have admitted (written by an older ingest, or by
 * another producer) is undecodable, so the consumer dead-letters it with the reason instead of handing
 * it to a sink it could crash.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import {
  admitStoredEvent,
  type FieldError,
  formatIssues,
  type StoredEvent,
  storedEventSchema,
} from './event-schema.js';
import { storabilityErrors } from './event-storability.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

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
  let text: string;
  try {
    text = STRICT_UTF8.decode(Buffer.from(data, 'base64'));
  } catch {
    return fail('record data is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(
      `record data is not JSON: ${error instanceof Error ? error.message.slice(0, 200) : 'unparsable'}`,
    );
  }
  const structural = storabilityErrors(json);
  if (structural.length > 0) return fail(`record is not storable: ${describe(structural)}`);
  const parsed = storedEventSchema.safeParse(json);
  if (!parsed.success) {
    return fail(`record is not a stored event: ${describe(formatIssues(parsed.error.issues))}`);
  }
  const admission = admitStoredEvent(parsed.data);
  if (!admission.ok) return fail(`record is not storable: ${describe(admission.errors)}`);
  return { ok: true, sequenceNumber, event: parsed.data };
}

function describe(errors: FieldError[]): string {
  return errors.map((error) => `${error.path || '(event)'}: ${error.message}`).join('; ');
}

/** The batch response naming the records Lambda must redeliver (it checkpoints at the lowest). */
export function batchResponse(failedSequenceNumbers: Iterable<string>): KinesisStreamBatchResponse {
  return {
    batchItemFailures: [...new Set(failedSequenceNumbers)].map((itemIdentifier) => ({ itemIdentifier })),
  };
}
