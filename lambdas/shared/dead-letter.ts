/**
 * Dead-lettering of events a consumer gives up on. SQS on-failure destinations of a stream mapping
 * carry only batch metadata, so a function that gives up on a record sends the payload itself, with
 * its reason, to the dead-letter queue.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunkBySize } from './concurrency.js';
import { errorSummary } from './error-summary.js';
import type { UndecodableRecord } from './kinesis-records.js';
import type { Log } from './logger.js';

/** The body of a dead-letter message. */
export interface DeadLetter {
  /** Which function gave up. */
  source: 'indexer' | 'rollup-writer';
  reason: string;
  sequenceNumber: string;
  failedAt: string;
  /** The decoded event, when the record could be decoded. */
  event?: unknown;
  /** The raw record data (base64), when it could not. */
  data?: string;
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
    sequenceNumber: record.sequenceNumber,
    failedAt,
    data: record.data,
    partitionKey: record.partitionKey,
  };
}

/** SQS SendMessageBatch limits: 10 entries, 256 KiB in all. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

/** Room for one message; raw data of an undecodable record may be larger and is cut to fit. */
const MAX_MESSAGE_BYTES = 250 * 1024;

function serializeLetter(letter: DeadLetter): string {
  const body = JSON.stringify(letter);
  if (Buffer.byteLength(body) <= MAX_MESSAGE_BYTES) return body;
  const keep = Math.max(0, MAX_MESSAGE_BYTES - 4096);
  return JSON.stringify({
    ...letter,
    event: undefined,
    data: (letter.data ?? Buffer.from(JSON.stringify(letter.event)).toString('base64')).slice(0, keep),
    truncated: true,
  });
}

/**
 * Sends the letters, checking every entry of every batch. Returns the sequence numbers of the letters
 * that were NOT accepted by SQS, which the caller must report as batch item failures.
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
      const { Failed = [] } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map(({ Id, MessageBody }) => ({ Id, MessageBody })),
        }),
      );
      for (const failure of Failed) {
        const entry = chunk.find((candidate) => candidate.Id === failure.Id);
        if (entry) notSent.push(entry.sequenceNumber);
        log.error('dead-letter entry rejected by SQS', { code: failure.Code, detail: failure.Message });
      }
    } catch (error) {
      log.error('dead-letter batch failed', { letters: chunk.length, error: errorSummary(error) });
      notSent.push(...chunk.map((entry) => entry.sequenceNumber));
    }
  }
  return notSent;
}
