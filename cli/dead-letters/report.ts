/**
 * How letters are shown: grouped by source and reason code with counts and ages, one line per letter,
 * or one letter in full. Pure: strings and rows for `Output`.
 */
import type { Letter } from './letters.js';
import type { StreamRecord } from './stream-reader.js';

export interface LetterGroup {
  source: string;
  reasonCode: string;
  letters: number;
  oldest: string;
  newest: string;
  /** One reason of the group, as the consumer wrote it. */
  example: string;
}

/** Letters grouped by (source, reason code), the largest group first. */
export function groupLetters(letters: Letter[]): LetterGroup[] {
  const groups = new Map<string, { letters: Letter[] }>();
  for (const letter of letters) {
    const id = `${letter.source}\u0000${letter.reasonCode}`;
    const group = groups.get(id) ?? { letters: [] };
    group.letters.push(letter);
    groups.set(id, group);
  }
  return [...groups.values()]
    .map(({ letters: members }) => {
      const times = members.map((letter) => letter.at).filter((at) => at > 0);
      const first = members[0] as Letter;
      return {
        source: first.source,
        reasonCode: first.reasonCode,
        letters: members.length,
        // Folds, not Math.min(...times): a queue of 130,000 letters would overflow the call stack.
        oldest: times.length ? iso(times.reduce((a, b) => Math.min(a, b))) : '?',
        newest: times.length ? iso(times.reduce((a, b) => Math.max(a, b))) : '?',
        example: first.reason.slice(0, 160),
      };
    })
    .sort((a, b) => b.letters - a.letters || a.source.localeCompare(b.source));
}

/** What a letter is about, in a few words: an event key, a record, or a batch's range. */
export function subjectOf(letter: Letter): string {
  switch (letter.kind) {
    case 'event':
      return letter.key;
    case 'raw':
      return `record ${letter.sequenceNumber}${letter.partitionKey ? ` (key ${letter.partitionKey})` : ''}`;
    case 'batch':
      return `${letter.batchSize} record(s) of ${letter.shardId} ${letter.startSequenceNumber}..${letter.endSequenceNumber}`;
    default:
      return '-';
  }
}

/** Rows for a one-line-per-letter table. */
export function letterRows(letters: Letter[]): string[][] {
  return letters.map((letter) => [
    letter.id,
    letter.source,
    letter.reasonCode,
    iso(letter.at),
    subjectOf(letter),
  ]);
}

export const LETTER_COLUMNS = ['id', 'source', 'reason code', 'at', 'subject'];

/** One letter in full: every field an operator needs to decide, and the payload. */
export function describeLetter(
  letter: Letter,
  records?: { records: StreamRecord[]; note?: string },
): string[] {
  const lines = [
    `id:          ${letter.id}`,
    `kind:        ${kindName(letter)}`,
    `source:      ${letter.source}`,
    `reason code: ${letter.reasonCode}`,
    `reason:      ${letter.reason}`,
    `at:          ${iso(letter.at)}`,
  ];
  if (letter.kind === 'event' || letter.kind === 'raw') {
    lines.push(`sequence:    ${letter.sequenceNumber}${letter.shardId ? ` (${letter.shardId})` : ''}`);
  }
  if (letter.kind === 'event') {
    lines.push(`event key:   ${letter.key}`, 'payload:', JSON.stringify(letter.event, null, 2));
  } else if (letter.kind === 'raw') {
    lines.push(`redrive:     not possible: ${letter.undecodable}`);
    if (letter.data)
      lines.push('data (as text, first 2,000 bytes):', letter.data.subarray(0, 2000).toString('utf8'));
  } else if (letter.kind === 'batch') {
    lines.push(
      `stream:      ${letter.streamArn}`,
      `shard:       ${letter.shardId}`,
      `sequences:   ${letter.startSequenceNumber} .. ${letter.endSequenceNumber} (${letter.batchSize} record(s))`,
      `first arrived: ${iso(letter.firstArrival)}`,
    );
    if (records) {
      lines.push(
        `on the stream now: ${records.records.length} record(s)${records.note ? `; ${records.note}` : ''}`,
      );
      for (const record of records.records.slice(0, 20)) {
        lines.push(`  ${record.sequenceNumber}  ${record.partitionKey}  ${record.data.byteLength} bytes`);
      }
      if (records.records.length > 20) lines.push(`  … ${records.records.length - 20} more`);
    }
  }
  return lines;
}

function kindName(letter: Letter): string {
  return {
    event: 'an event a consumer gave up on (payload kept)',
    raw: 'a record that cannot be decoded (raw data kept)',
    batch: 'a batch a mapping discarded (metadata only: the records are re-read from the stream)',
    unknown: 'not a message of this pipeline',
  }[letter.kind];
}

function iso(at: number): string {
  return at > 0 ? new Date(at).toISOString() : '?';
}
