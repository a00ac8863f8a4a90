/**
 * Decoding of the stream records every consumer receives: base64 data holding one stored event.
 *
 * Decoding re-checks admission: strict UTF-8, the iterative structural checks, the schema, the
 * stored-event limits, and the event's times against the record's arrival (`storedTimeErrors`). A
 * record that ingest could not have admitted (written by an older ingest, or by another producer) is
 * undecodable, so the consumer dead-letters it with the reason instead of handing it to a sink it
 * could crash.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { ReasonCode } from './dead-letter.js';
import {
  admitStoredEvent,
  DEFAULT_MAX_FUTURE_MS,
  eventKey,
  type FieldError,
  formatIssues,
  type StoredEvent,
  storedEventSchema,
  storedTimeErrors,
} from './event-schema.js';
import { storabilityErrors } from './event-storability.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export type { KinesisStreamBatchResponse, KinesisStreamEvent };

/** Where a record is on the stream, and when it got there. */
export interface RecordPosition {
  sequenceNumber: string;
  shardId: string;
  /** `<shard>:<sequence>`: the record's id on the stream (what a rollup dedupe marker names). */
  recordId: string;
  partitionKey: string;
  /** When Kinesis accepted the record, epoch milliseconds. */
  arrivedAt: number;
}

export interface DecodedRecord extends RecordPosition {
  ok: true;
  event: StoredEvent;
  /** `account_id:event_id`. */
  key: string;
}

export interface UndecodableRecord extends RecordPosition {
  ok: false;
  /** Why the record could not be decoded. */
  reason: string;
  reasonCode: ReasonCode;
  /** The record's data as it arrived (base64), kept for the dead-letter queue. */
  data: string;
}

/** The shard of a record: Lambda's Kinesis `eventID` is `<shardId>:<sequenceNumber>`. */
export function shardOf(record: KinesisStreamRecord): string {
  const separator = record.eventID.indexOf(':');
  if (separator <= 0) throw new Error(`Kinesis record eventID "${record.eventID}" names no shard`);
  return record.eventID.slice(0, separator);
}

/** The position of a record on the stream. */
export function positionOf(record: KinesisStreamRecord): RecordPosition {
  const { sequenceNumber, partitionKey, approximateArrivalTimestamp } = record.kinesis;
  const shardId = shardOf(record);
  return {
    sequenceNumber,
    shardId,
    recordId: `${shardId}:${sequenceNumber}`,
    partitionKey,
    // Lambda gives epoch seconds with a fraction.
    arrivedAt: Math.round(approximateArrivalTimestamp * 1000),
  };
}

export type RecordDecoding = DecodedRecord | UndecodableRecord;

/**
 * Decodes one stream record into its stored event, or says why it cannot. `maxFutureMs`: how far after
 * its receipt an event's timestamp may lie (the accepted clock skew, `EVENT_MAX_FUTURE_SECONDS`).
 */
export function decodeRecord(
  record: KinesisStreamRecord,
  maxFutureMs: number = DEFAULT_MAX_FUTURE_MS,
): RecordDecoding {
  const position = positionOf(record);
  const { data } = record.kinesis;
  const fail = (reasonCode: ReasonCode, reason: string): UndecodableRecord => ({
    ok: false,
    ...position,
    reason,
    reasonCode,
    data,
  });
  let text: string;
  try {
    text = STRICT_UTF8.decode(Buffer.from(data, 'base64'));
  } catch {
    return fail('undecodable', 'record data is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(
      'undecodable',
      `record data is not JSON: ${error instanceof Error ? error.message.slice(0, 200) : 'unparsable'}`,
    );
  }
  const structural = storabilityErrors(json);
  if (structural.length > 0) return fail('not-storable', `record is not storable: ${describe(structural)}`);
  const parsed = storedEventSchema.safeParse(json);
  if (!parsed.success) {
    return fail(
      'not-stored-event',
      `record is not a stored event: ${describe(formatIssues(parsed.error.issues))}`,
    );
  }
  const admission = admitStoredEvent(parsed.data);
  if (!admission.ok) return fail('not-storable', `record is not storable: ${describe(admission.errors)}`);
  const timeErrors = storedTimeErrors(parsed.data, position.arrivedAt, maxFutureMs);
  if (timeErrors.length > 0) return fail('not-storable', `record is not storable: ${describe(timeErrors)}`);
  return { ok: true, ...position, event: parsed.data, key: eventKey(parsed.data) };
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
