/**
 * From held letters to the events a redrive is about: the letters an operator selected, the records of
 * selected discarded batches (re-read from the stream), grouped by event key, each with the record that
 * goes back on the stream and what the letters say about the rollup writer.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { partitionKeyFor } from '../../lambdas/ingest/stored-record.js';
import { eventKey, type StoredEvent } from '../../lambdas/shared/event-schema.js';
import type { BatchLetter, EventLetter, Letter } from './letters.js';
import type { EventCase } from './redrive-plan.js';
import { decodeStreamRecord, readBatch, type StreamRecord } from './stream-reader.js';

/** Which letters a redrive (or a listing) is about. No criteria selects nothing. */
export interface Selection {
  all?: boolean;
  ids?: string[];
  reason?: string;
  source?: string;
  account?: string;
}

export function selects(letter: Letter, selection: Selection): boolean {
  if (selection.ids?.length && !selection.ids.includes(letter.id)) return false;
  if (selection.reason && letter.reasonCode !== selection.reason) return false;
  if (selection.source && letter.source !== selection.source) return false;
  if (selection.account && (letter.kind !== 'event' || letter.event.account_id !== selection.account))
    return false;
  return Boolean(
    selection.all || selection.ids?.length || selection.reason || selection.source || selection.account,
  );
}

/** An event to redrive, with the letters it resolves. */
export interface RedriveCase extends EventCase {
  data: Buffer;
  partitionKey: string;
  letterIds: string[];
}

/** A record of a discarded batch that does not decode: it goes back as it is, for the consumers to dead-letter with its data. */
export interface RawCopy {
  id: string;
  data: Buffer;
  partitionKey: string;
  letterId: string;
}

/** What a selected letter came to before any sink was read. */
export interface LetterNote {
  letterId: string;
  /** Event keys (and raw record ids) the letter is resolved by. */
  needs: string[];
  /** Why the letter cannot be resolved (kept in the queue), if so. */
  refused?: string;
}

export interface Cases {
  cases: Map<string, RedriveCase>;
  raw: RawCopy[];
  notes: LetterNote[];
}

const DURABLE = new Set(['indexer', 'rollup-writer']);

/** Builds the cases of the selected letters; reads the records of discarded batches from the stream. */
export async function gatherCases(
  letters: Letter[],
  selection: Selection,
  stream: { kinesis: KinesisClient; streamName: string },
): Promise<Cases> {
  const cases = new Map<string, RedriveCase>();
  const raw: RawCopy[] = [];
  const notes: LetterNote[] = [];
  const add = (
    key: string,
    event: StoredEvent,
    record: { data: Buffer; partitionKey: string },
    letterId: string,
  ) => {
    const existing = cases.get(key);
    // The earliest received version is the one the sinks know as the first: it is the one sent again.
    if (!existing || Date.parse(event.received_at) < Date.parse(existing.event.received_at)) {
      cases.set(key, {
        key,
        event,
        data: record.data,
        partitionKey: record.partitionKey,
        rollupFailed: existing?.rollupFailed ?? [],
        letterIds: existing?.letterIds ?? [],
      });
    }
    const entry = cases.get(key) as RedriveCase;
    if (!entry.letterIds.includes(letterId)) entry.letterIds.push(letterId);
    return entry;
  };

  for (const letter of letters) {
    if (!selects(letter, selection)) continue;
    if (letter.kind === 'event') {
      add(letter.key, letter.event, recordOf(letter), letter.id);
      notes.push({ letterId: letter.id, needs: [letter.key] });
    } else if (letter.kind === 'batch') {
      notes.push(await gatherBatch(letter, stream, add, raw));
    } else {
      const refused = letter.kind === 'raw' ? `cannot be redriven: ${letter.undecodable}` : letter.reason;
      notes.push({ letterId: letter.id, needs: [], refused });
    }
  }
  // Every letter of a selected event counts, selected or not: a rollup-writer letter names a record the
  // writer gave up on, which may hold the event's marker.
  for (const letter of letters) {
    if (letter.kind !== 'event') continue;
    const entry = cases.get(letter.key);
    if (!entry) continue;
    if (letter.source === 'rollup-writer') {
      entry.rollupFailed.push(
        letter.shardId ? `${letter.shardId}:${letter.sequenceNumber}` : letter.sequenceNumber,
      );
    }
    if (!entry.letterIds.includes(letter.id)) entry.letterIds.push(letter.id);
  }
  return { cases, raw, notes };
}

function recordOf(letter: EventLetter): { data: Buffer; partitionKey: string } {
  return { data: letter.data, partitionKey: letter.partitionKey ?? partitionKeyFor(eventKey(letter.event)) };
}

async function gatherBatch(
  letter: BatchLetter,
  stream: { kinesis: KinesisClient; streamName: string },
  add: (key: string, event: StoredEvent, record: StreamRecord, letterId: string) => RedriveCase,
  raw: RawCopy[],
): Promise<LetterNote> {
  if (!DURABLE.has(letter.source)) {
    return {
      letterId: letter.id,
      needs: [],
      refused:
        letter.source === 'ws-broadcast'
          ? 'a live-push batch: live push is best-effort and a stale push is worse than none; not redriven'
          : `the batch of an unknown function (${letter.source}); not redriven`,
    };
  }
  const read = await readBatch(stream.kinesis, stream.streamName, letter);
  const needs: string[] = [];
  for (const record of read.records) {
    const recordId = `${record.shardId}:${record.sequenceNumber}`;
    const decoded = decodeStreamRecord(record);
    if (!decoded.ok) {
      raw.push({ id: recordId, data: record.data, partitionKey: record.partitionKey, letterId: letter.id });
      needs.push(recordId);
      continue;
    }
    const key = eventKey(decoded.event);
    const entry = add(key, decoded.event, record, letter.id);
    if (letter.source === 'rollup-writer') entry.rollupFailed.push(recordId);
    needs.push(key);
  }
  return read.ok ? { letterId: letter.id, needs } : { letterId: letter.id, needs, refused: read.reason };
}
