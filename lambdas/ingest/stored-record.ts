/**
 * The stream record of an accepted event, serialized once. The stored event is the client's event with
 * the fields the server owns set: `account_id` (the key's), `event_id` (the client's, or a generated
 * one), `timestamp` (normalized to UTC, receipt time when absent), `received_at`, `client_ip` and
 * `user_agent`. Rather than copying the event with those fields and serializing the copy again, the
 * client's event is serialized once and the server's fields are appended to that JSON text: the only
 * client field the server may rewrite is `timestamp` (left out of the serialization when it is not
 * already normalized), and the strict schema refuses a client `received_at`, `client_ip` or
 * `user_agent`, so no field can appear twice.
 *
 * The same serialization measures the event as the client sent it (the 32 KB limit): the client's
 * `timestamp` passed the ISO-8601 check, so it is ASCII with nothing to escape, and the bytes its
 * `,"timestamp":"…"` adds to the event's JSON are known without serializing it.
 */
import { createHash } from 'node:crypto';
import type { IncomingEvent } from '../shared/event-schema.js';
import {
  documentIdError,
  eventSizeError,
  type FieldError,
  storedSizeError,
  USER_AGENT_MAX_LENGTH,
} from '../shared/event-schema.js';
import { toWellFormed } from '../shared/event-storability.js';
import type { EventValidation } from '../shared/event-validation.js';

/** Kinesis partition keys are at most 256 characters. */
const PARTITION_KEY_MAX_LENGTH = 256;
/** `,"timestamp":""` around a timestamp's characters in the event's JSON. */
const TIMESTAMP_FIELD_OVERHEAD = ',"timestamp":""'.length;

/** What the server adds to every event of one request, serialized once per request. */
export interface Receipt {
  accountId: string;
  /** The receipt time, the `timestamp` of an event that has none. */
  receivedAtIso: string;
  /** `,"account_id":"…"`, for events that do not name their account. */
  accountField: string;
  /** `,"received_at":"…","client_ip":"…","user_agent":"…"}`: the end of every stored event. */
  closingFields: string;
  /** Its length in UTF-8 bytes. */
  closingBytes: number;
  newEventId: () => string;
}

/** The receipt of a request: its account, time and the client's address and user agent. */
export function receiptOf(request: {
  accountId: string;
  receivedAt: Date;
  clientIp?: string | undefined;
  userAgent?: string | undefined;
  newEventId: () => string;
}): Receipt {
  const receivedAtIso = request.receivedAt.toISOString();
  let closingFields = `,"received_at":"${receivedAtIso}"`;
  // Header values come from the network: made well-formed, so the stored event passes its own checks.
  if (request.clientIp) closingFields += `,"client_ip":${JSON.stringify(toWellFormed(request.clientIp))}`;
  if (request.userAgent) {
    const userAgent = toWellFormed(request.userAgent.slice(0, USER_AGENT_MAX_LENGTH));
    closingFields += `,"user_agent":${JSON.stringify(userAgent)}`;
  }
  return {
    accountId: request.accountId,
    receivedAtIso,
    accountField: `,"account_id":${JSON.stringify(request.accountId)}`,
    closingFields: `${closingFields}}`,
    closingBytes: Buffer.byteLength(closingFields) + 1,
    newEventId: request.newEventId,
  };
}

/** An event ready for the stream, or why it cannot be stored. */
export type StoredRecord =
  | {
      ok: true;
      eventId: string;
      /**
       * The stored event's JSON, in the pieces it is written from (`storedJson` joins them, `recordData`
       * writes them): the client's JSON without its closing brace, the server's fields this event needs,
       * then the receipt's `closingFields`.
       */
      clientJson: string;
      /** `clientJson`'s length in UTF-8 bytes, its closing brace included. */
      clientBytes: number;
      added: string;
      /** The stored event's length in UTF-8 bytes. */
      bytes: number;
      partitionKey: string;
    }
  | { ok: false; errors: FieldError[]; tooLarge?: true };

/** The record of a validated client event (`validateIncomingEvent`), checked against every size limit. */
export function storeEvent(
  validation: Extract<EventValidation, { ok: true }>,
  receipt: Receipt,
): StoredRecord {
  const { event, timestampMs } = validation;
  const eventId = event.event_id ?? receipt.newEventId();
  const key = `${receipt.accountId}:${eventId}`;
  const idError = documentIdError(key);
  if (idError) return { ok: false, errors: [idError] };

  const iso =
    timestampMs === undefined ? receipt.receivedAtIso : normalizedTimestamp(event.timestamp, timestampMs);
  // A timestamp already in UTC as `toISOString` writes it (what clients usually send) stays where it
  // is; any other is taken out, and the normalized one goes with the server's fields.
  const sentTimestamp = event.timestamp;
  const replaced = sentTimestamp !== undefined && sentTimestamp !== iso;
  const clientJson = JSON.stringify(replaced ? withoutTimestamp(event) : event);
  const added =
    (event.account_id === undefined ? receipt.accountField : '') +
    (event.event_id === undefined ? `,"event_id":${JSON.stringify(eventId)}` : '') +
    (sentTimestamp === iso ? '' : `,"timestamp":"${iso}"`);
  const clientBytes = Buffer.byteLength(clientJson);
  const bytes = clientBytes - 1 + Buffer.byteLength(added) + receipt.closingBytes;
  const sentBytes = clientBytes + (replaced ? sentTimestamp.length + TIMESTAMP_FIELD_OVERHEAD : 0);
  const sizeError = eventSizeError(sentBytes) ?? storedSizeError(bytes);
  if (sizeError) return { ok: false, tooLarge: true, errors: [sizeError] };
  return { ok: true, eventId, clientJson, clientBytes, added, bytes, partitionKey: partitionKeyFor(key) };
}

/** A record that passed every check, to be written (not `event-schema.ts`'s `StoredEvent`). */
export type WritableRecord = Extract<StoredRecord, { ok: true }>;

/** The stored event's JSON as one string: the client's JSON without its closing brace, the server's fields and the brace. */
export function storedJson(record: WritableRecord, receipt: Receipt): string {
  return `${record.clientJson.slice(0, -1)}${record.added}${receipt.closingFields}`;
}

/**
 * The records' data: UTF-8-encoded into one buffer, each record's pieces written where they go (no
 * joined copy of the text), each record a view of its bytes (500 small buffers cost more than the
 * encoding itself).
 */
export function recordData(records: readonly WritableRecord[], receipt: Receipt): Uint8Array[] {
  let total = 0;
  for (const record of records) total += record.bytes;
  const all = Buffer.allocUnsafe(total);
  // The same for every record: encoded once, copied.
  const closing = Buffer.from(receipt.closingFields, 'utf8');
  const views: Uint8Array[] = new Array(records.length);
  let offset = 0;
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index] as WritableRecord;
    const start = offset;
    // All but the closing brace, one byte: `write` never writes part of a character.
    offset += all.write(record.clientJson, offset, record.clientBytes - 1, 'utf8');
    if (record.added !== '') offset += all.write(record.added, offset, 'utf8');
    all.set(closing, offset);
    offset += closing.length;
    if (offset - start !== record.bytes) throw new Error('stored record length mismatch');
    views[index] = all.subarray(start, offset);
  }
  return views;
}

/**
 * The timestamp in UTC as `toISOString` writes it (`YYYY-MM-DDTHH:mm:ss.sssZ`). One the schema's
 * ISO-8601 check passed (four-digit year, hour 00-23, seconds 00-59) that is 24 characters long with a
 * `.` at 19 and a `Z` at 23 is already in that form: kept as sent, not formatted again (what clients
 * usually send, and a Date and a string less per event).
 */
function normalizedTimestamp(sent: string | undefined, timestampMs: number): string {
  return sent !== undefined && sent.length === 24 && sent.charCodeAt(19) === 46 && sent.charCodeAt(23) === 90
    ? sent
    : new Date(timestampMs).toISOString();
}

function withoutTimestamp(event: IncomingEvent): Omit<IncomingEvent, 'timestamp'> {
  const { timestamp: _timestamp, ...rest } = event;
  return rest;
}

/**
 * `account_id:event_id`: spreads an account's events over shards (no hot shard for a busy account)
 * and keeps a resent event on the same shard. Hashed when it would exceed Kinesis's limit.
 */
export function partitionKeyFor(eventKey: string): string {
  return eventKey.length <= PARTITION_KEY_MAX_LENGTH
    ? eventKey
    : createHash('sha256').update(eventKey).digest('hex');
}
