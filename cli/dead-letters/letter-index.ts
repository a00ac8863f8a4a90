/**
 * Which events the dead-letter queue accounts for, and for which sink: event letters by their key, raw
 * letters by their partition key (`account_id:event_id` as ingest writes it), and the records of
 * discarded batches, re-read from the stream while it retains them.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { eventKey } from '../../lambdas/shared/event-schema.js';
import type { Letter } from './letters.js';
import { decodeStreamRecord, readBatch } from './stream-reader.js';

export interface LetterIndex {
  /** Event key -> the consumers that gave up on it. */
  keys: Map<string, Set<string>>;
  /** Event key -> the event's timestamp, where a letter holds the event (it places the event in time). */
  timestamps: Map<string, string>;
  /** Discarded batches whose records could not all be read, with why. */
  unread: { letterId: string; reason: string }[];
}

/** Indexes the letters by event key; reads discarded batches from the stream. */
export async function indexLetters(
  letters: Letter[],
  stream: { kinesis: KinesisClient; streamName: string },
): Promise<LetterIndex> {
  const keys = new Map<string, Set<string>>();
  const timestamps = new Map<string, string>();
  const unread: LetterIndex['unread'] = [];
  const add = (key: string, source: string) => {
    const sources = keys.get(key) ?? new Set<string>();
    sources.add(source);
    keys.set(key, sources);
  };
  for (const letter of letters) {
    if (letter.kind === 'event') {
      add(letter.key, letter.source);
      timestamps.set(letter.key, letter.event.timestamp);
    } else if (letter.kind === 'raw' && letter.partitionKey) add(letter.partitionKey, letter.source);
    else if (letter.kind === 'batch' && (letter.source === 'indexer' || letter.source === 'rollup-writer')) {
      const read = await readBatch(stream.kinesis, stream.streamName, letter);
      if (!read.ok) unread.push({ letterId: letter.id, reason: read.reason });
      for (const record of read.records) {
        const decoded = decodeStreamRecord(record);
        if (!decoded.ok) add(record.partitionKey, letter.source);
        else {
          add(eventKey(decoded.event), letter.source);
          timestamps.set(eventKey(decoded.event), decoded.event.timestamp);
        }
      }
    }
  }
  return { keys, timestamps, unread };
}
