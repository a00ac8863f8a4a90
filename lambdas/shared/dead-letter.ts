/**
 * Dead-lettering of events a consumer gives up on. SQS on-failure destinations of a stream mapping
 * carry only batch metadata, so a function that gives up on a record sends the payload itself, with
 * its reason, to the dead-letter queue.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunkBySize } from './concurrency.js';
import { errorSummary } from './error-summary.js';
import type { DecodedRecord, UndecodableRecord } from './kinesis-records.js';
import type { Log } from './logger.js';

/**
 * Why a consumer gave up on an event, as a short stable code: the `reasonCode` dimension of the
 * dead-lettered metric and what an operator groups letters by. `reason` says the rest in words.
 */
export const REASON_CODES = {
  /** The record's data is not UTF-8 JSON. */
  undecodable: 'undecodable',
  /** JSON, but not a stored event (a field missing or of the wrong type). */
  notStoredEvent: 'not-stored-event',
  /** A stored event that ingest could not have admitted (too deep, too large, lone surrogates...). */
  notStorable: 'not-storable',
  /** OpenSearch refused the document itself (mapping, parse or argument error). */
  documentRejected: 'document-rejected',
  /** OpenSearch refused the document as too large. */
  documentTooLarge: 'document-too-large',
  /** A request was refused as a whole, and bisecting showed this event is the cause. */
  requestInvalid: 'request-invalid',
  /** DynamoDB refused a write for this event (ValidationException, isolated by bisecting). */
  dynamodbValidation: 'dynamodb-validation',
  /** An error no rule recognises, for this event alone, while the sink served the others. */
  unrecognised: 'unrecognised-error',
  /** The function crashed or timed out on this record, again and again, while the sink was healthy. */
  repeatedCrash: 'repeated-crash',
} as const;

export type ReasonCode = (typeof REASON_CODES)[keyof typeof REASON_CODES];

/**
 * The body of a dead-letter message. Read by the dead-letter tool: fields are only ever added, never
 * renamed or removed.
 */
export interface DeadLetter {
  /** Which function gave up. */
  source: 'indexer' | 'rollup-writer';
  reason: string;
  /** `reason` as a short stable code (letters written before it existed have none). */
  reasonCode?: ReasonCode;
  sequenceNumber: string;
  /** The Kinesis shard of the record (with `sequenceNumber`, the record's id on the stream). */
  shardId?: string;
  failedAt: string;
  /** `account_id:event_id`, when the record could be decoded. */
  eventKey?: string;
  accountId?: string;
  /** The decoded event, when the record could be decoded. */
  event?: unknown;
  /** The raw record data (base64), when it could not. */
  data?: string;
  /** The record's partition key: a redrive puts the event back with it, so it lands where its copies do. */
  partitionKey?: string;
}

/** The letter for a record that could not be decoded: its raw data, partition key and why. */
export function undecodableLetter(
  source: DeadLetter['source'],
  record: UndecodableRecord,
  failedAt: string,
): DeadLetter {
  return {
    source,
    reason: record.reason,
    reasonCode: record.reasonCode,
    sequenceNumber: record.sequenceNumber,
    shardId: record.shardId,
    failedAt,
    data: record.data,
    partitionKey: record.partitionKey,
  };
}

/** The letter for a decoded event a sink can never store: the event itself, its ids and why. */
export function eventLetter(
  source: DeadLetter['source'],
  record: DecodedRecord,
  failure: { reasonCode: ReasonCode; reason: string },
  failedAt: string,
): DeadLetter {
  return {
    source,
    reason: failure.reason,
    reasonCode: failure.reasonCode,
    sequenceNumber: record.sequenceNumber,
    shardId: record.shardId,
    failedAt,
    eventKey: record.key,
    accountId: record.event.account_id,
    event: record.event,
    partitionKey: record.partitionKey,
  };
}

/** SQS SendMessageBatch limits: 10 entries, 256 KiB in all. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

/** Room for one message; raw data of an undecodable record may be larger and is cut to fit. */
const MAX_MESSAGE_BYTES = 250 * 1024;

/**
 * The two code points SQS refuses in a message body (it takes only XML's characters: #x9, #xA, #xD,
 * #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF). JSON.stringify escapes every other one of them
 * (controls, lone surrogates), but writes U+FFFE and U+FFFF as they are, and admission lets them through
 * (they are well-formed Unicode). Escaped, the body is the same JSON.
 */
const NOT_XML_CHARACTERS = /[\uFFFE\uFFFF]/g;

/** A JSON text SQS accepts as it is. */
function sqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    NOT_XML_CHARACTERS,
    (character) => `\\u${character.charCodeAt(0).toString(16)}`,
  );
}

function serializeLetter(letter: DeadLetter): string {
  const body = sqsSafeJson(letter);
  if (Buffer.byteLength(body) <= MAX_MESSAGE_BYTES) return body;
  const keep = Math.max(0, MAX_MESSAGE_BYTES - 4096);
  return sqsSafeJson({
    ...letter,
    event: undefined,
    data: (letter.data ?? Buffer.from(JSON.stringify(letter.event)).toString('base64')).slice(0, keep),
    truncated: true,
  });
}

/**
 * Sends the letters, checking every entry of every batch. Returns the sequence numbers of the letters
 * that SQS did not acknowledge (refused, or left out of its answer), which the caller must report as
 * batch item failures.
 */
export async function sendDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  letters: DeadLetter[],
  log: Log,
): Promise<string[]> {
  const entries = letters.map((letter, index) => ({
    Id: String(index),
    MessageBody: serializeLetter(letter),
    sequenceNumber: letter.sequenceNumber,
  }));
  const notSent: string[] = [];
  for (const chunk of chunkBySize(entries, MAX_ENTRIES, MAX_BATCH_BYTES, (entry) =>
    Buffer.byteLength(entry.MessageBody),
  )) {
    try {
      const { Successful = [], Failed = [] } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map(({ Id, MessageBody }) => ({ Id, MessageBody })),
        }),
      );
      for (const failure of Failed) {
        log.error('dead-letter entry rejected by SQS', { code: failure.Code, detail: failure.Message });
      }
      // Only an entry SQS lists as successful (and not as failed) is in the queue: an answer that
      // leaves an entry out (a proxy's or an emulator's garbage) is no acknowledgement of it.
      const failed = new Set(Failed.map((failure) => failure.Id));
      const accepted = new Set(
        Successful.filter((success) => success.MessageId).map((success) => success.Id),
      );
      const unacknowledged = chunk.filter((entry) => !accepted.has(entry.Id) || failed.has(entry.Id));
      const unlisted = unacknowledged.filter((entry) => !failed.has(entry.Id)).length;
      if (unlisted > 0) log.error('dead-letter entries not acknowledged by SQS', { letters: unlisted });
      notSent.push(...unacknowledged.map((entry) => entry.sequenceNumber));
    } catch (error) {
      log.error('dead-letter batch failed', { letters: chunk.length, error: errorSummary(error) });
      notSent.push(...chunk.map((entry) => entry.sequenceNumber));
    }
  }
  return notSent;
}
