/**
 * The event contract: one zod schema, the single source of truth for ingest, indexer, rollups and
 * broadcast. Ingest checks client input with `validateIncomingEvent` (`event-validation.ts`: structure
 * first, then this schema and the time bounds) and stores it (ingest's `stored-record.ts`); stream
 * consumers decode what ingest wrote with the same structural checks, `storedEventSchema` and
 * `admitStoredEvent`, so a record that could not have been admitted never reaches a sink.
 *
 * zod/mini: the same schema language with a tree-shakable API (about 20 KB of a bundle where classic
 * zod took 445 KB). Ingest validates with the client schema compiled (`event-validation.ts`).
 */
import * as z from 'zod/mini';
import {
  ACCOUNT_ID_MAX_LENGTH,
  EVENT_ID_MAX_LENGTH,
  EVENT_ID_PATTERN,
  EVENT_TYPE_MAX_LENGTH,
  EVENT_TYPE_PATTERN,
  ID_MAX_LENGTH,
  MAX_BACKFILL_HORIZON_MS,
  MAX_DOCUMENT_ID_BYTES,
  MAX_EVENT_BYTES,
  MAX_RECEIPT_AGE_MS,
  MAX_STORED_EVENT_BYTES,
  MAX_VALUE_MAGNITUDE,
  PATH_MAX_LENGTH,
  RECEIPT_CLOCK_SKEW_MS,
  type TimestampBounds,
} from './event-limits.js';
import type { FieldError } from './event-storability.js';

export * from './event-limits.js';
export type { FieldError } from './event-storability.js';

const boundedString = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .check(
      z.minLength(1, { error: `${field} must not be empty` }),
      z.maxLength(max, { error: `${field} must be at most ${max} characters` }),
    );

/**
 * A client's `event_id`: the idempotency key with the account, part of the Kinesis partition key, the
 * OpenSearch `_id` and the rollup dedupe marker, and what a person searches for. So it must name
 * something: not only whitespace (`"   "` would be a key no client means), and no control characters
 * (a NUL or a newline is invisible in every tool that shows the id, and cut or mangled by some).
 */
export const eventIdSchema = boundedString('event_id', EVENT_ID_MAX_LENGTH).check(
  z.regex(EVENT_ID_PATTERN, {
    error:
      'event_id must hold a visible character (not only whitespace) and no control characters (U+0000 to U+001F, U+007F to U+009F)',
  }),
);

export const eventTypeSchema = boundedString('type', EVENT_TYPE_MAX_LENGTH).check(
  z.regex(EVENT_TYPE_PATTERN, { error: 'type may only contain a-z, 0-9 and _ . : -' }),
);

const valueRangeError = `value must be between -${MAX_VALUE_MAGNITUDE} and ${MAX_VALUE_MAGNITUDE}`;

const isoTimestamp = z.iso.datetime({
  offset: true,
  error: 'timestamp must be an ISO-8601 date-time with a time zone, e.g. 2026-01-31T12:00:00Z',
});

const optionalFields = {
  account_id: z.optional(boundedString('account_id', ACCOUNT_ID_MAX_LENGTH)),
  user_id: z.optional(boundedString('user_id', ID_MAX_LENGTH)),
  anonymous_id: z.optional(boundedString('anonymous_id', ID_MAX_LENGTH)),
  session_id: z.optional(boundedString('session_id', ID_MAX_LENGTH)),
  path: z.optional(boundedString('path', PATH_MAX_LENGTH)),
  // z.number() rejects NaN and ±Infinity in zod 4, so `value` is always finite; bounded so sums stay finite.
  value: z.optional(
    z
      .number({ error: 'value must be a finite number' })
      .check(
        z.gte(-MAX_VALUE_MAGNITUDE, { error: valueRangeError }),
        z.lte(MAX_VALUE_MAGNITUDE, { error: valueRangeError }),
      ),
  ),
  properties: z.optional(z.record(z.string(), z.unknown(), { error: 'properties must be an object' })),
};

/**
 * An event as a client sends it. Strict: an unknown top-level field is an error rather than silently
 * dropped (the index mapping is strict too); custom data belongs under `properties`.
 */
export const incomingEventSchema = z.strictObject(
  {
    event_id: z.optional(eventIdSchema),
    type: eventTypeSchema,
    timestamp: z.optional(isoTimestamp),
    ...optionalFields,
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'event must be a JSON object') },
);
export type IncomingEvent = z.infer<typeof incomingEventSchema>;

/**
 * An event as ingest puts it on the stream: account, id and timestamp always set, plus what the
 * server saw. Not strict, so that a consumer older than a producer ignores fields it does not know.
 */
export const storedEventSchema = z.object({
  ...optionalFields,
  // Not `eventIdSchema`: records written before its rule are still on the stream, and must not become
  // dead letters; every id ingest writes now passed it (or is a generated UUID).
  event_id: boundedString('event_id', EVENT_ID_MAX_LENGTH),
  account_id: z.string().check(z.minLength(1)),
  type: eventTypeSchema,
  timestamp: isoTimestamp,
  received_at: isoTimestamp,
  client_ip: z.optional(z.string()),
  user_agent: z.optional(z.string()),
});
export type StoredEvent = z.infer<typeof storedEventSchema>;

/** Turns zod issues into `[{path, message}]`, the shape the API returns. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return {
        path,
        message: `unknown field(s) ${issue.keys.join(', ')}: put custom data under properties`,
      };
    }
    return { path, message: issue.message };
  });
}

/** The error of an event whose JSON, as the client sent it, is `bytes` long: over 32 KB. */
export function eventSizeError(bytes: number): FieldError | undefined {
  return bytes > MAX_EVENT_BYTES
    ? {
        path: '',
        message: `event is ${bytes} bytes serialized, over the 32 KB limit (${MAX_EVENT_BYTES} bytes)`,
      }
    : undefined;
}

/** The error of a document id, `account_id:event_id`, over OpenSearch's 512 bytes. */
export function documentIdError(key: string): FieldError | undefined {
  const idBytes = Buffer.byteLength(key);
  return idBytes > MAX_DOCUMENT_ID_BYTES
    ? {
        path: 'event_id',
        message: `account_id:event_id is ${idBytes} bytes (UTF-8), over the ${MAX_DOCUMENT_ID_BYTES}-byte limit of a document id`,
      }
    : undefined;
}

/** The error of a stored event whose JSON is `bytes` long, over the stored-event limit. */
export function storedSizeError(bytes: number): FieldError | undefined {
  return bytes > MAX_STORED_EVENT_BYTES
    ? {
        path: '',
        message: `event is ${bytes} bytes once stored with the fields the server adds, over the ${MAX_STORED_EVENT_BYTES}-byte limit of a stored event`,
      }
    : undefined;
}

/** A stored event that every sink can hold, with its serialization (what goes on the stream). */
export type StoredAdmission =
  | { ok: true; json: string; bytes: number }
  | { ok: false; errors: FieldError[]; tooLarge?: true };

/**
 * The limits only the stored event can be measured against: its document id (`account_id:event_id`)
 * within OpenSearch's 512 bytes, and its size, server fields included, within `MAX_STORED_EVENT_BYTES`.
 * Consumers check them again when decoding a record (ingest checks the same on the JSON it writes).
 */
export function admitStoredEvent(event: StoredEvent): StoredAdmission {
  const idError = documentIdError(eventKey(event));
  if (idError) return { ok: false, errors: [idError] };
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json);
  const sizeError = storedSizeError(bytes);
  if (sizeError) return { ok: false, tooLarge: true, errors: [sizeError] };
  return { ok: true, json, bytes };
}

/**
 * The error of an event `timestamp` (`at`, epoch ms) outside `bounds` around its receipt time: what
 * ingest refuses, and what a stream consumer refuses in a record ingest did not write.
 */
export function timestampError(
  at: number,
  receivedAt: number,
  bounds: TimestampBounds,
): FieldError | undefined {
  const earliest = receivedAt - bounds.maxPastMs;
  const latest = receivedAt + bounds.maxFutureMs;
  if (at >= earliest && at <= latest) return undefined;
  // The range and the server's clock: a client whose clock is off can tell whose clock is wrong.
  const range = `it must be from ${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()} (the server received the event at ${new Date(receivedAt).toISOString()})`;
  const bound =
    at < earliest
      ? `${describeMs(bounds.maxPastMs)} in the past`
      : `${describeMs(bounds.maxFutureMs)} in the future`;
  return { path: 'timestamp', message: `timestamp is more than ${bound}: ${range}` };
}

/**
 * The time errors of a stored event that reached the stream at `arrivedAt` (epoch ms, Kinesis's own
 * clock, which no producer sets). Ingest stamps `received_at` before it writes the record, and admits
 * a `timestamp` within its bounds around it; a record that breaks either came from another writer, and
 * a far-away time would make a daily index (and a registry index) for a far-away day, or count the
 * event in rollup buckets the stats API never reads. `received_at` may be older than the arrival (a
 * redrive writes the event again, later) but not older than the data horizon: such an event could be
 * neither counted nor queried. The past bound of `timestamp` is the widest any ingest may be
 * configured with; its future bound (the clock skew) is the one readers rely on to find rollups.
 */
export function storedTimeErrors(event: StoredEvent, arrivedAt: number, maxFutureMs: number): FieldError[] {
  const receivedAt = Date.parse(event.received_at);
  const late = receivedAt > arrivedAt + RECEIPT_CLOCK_SKEW_MS;
  if (late || receivedAt < arrivedAt - MAX_RECEIPT_AGE_MS) {
    const bound = late
      ? `${describeMs(RECEIPT_CLOCK_SKEW_MS)} after`
      : `${describeMs(MAX_RECEIPT_AGE_MS)} before`;
    return [
      { path: 'received_at', message: `received_at is more than ${bound} the record reached the stream` },
    ];
  }
  const error = timestampError(Date.parse(event.timestamp), receivedAt, {
    maxPastMs: MAX_BACKFILL_HORIZON_MS,
    maxFutureMs,
  });
  // The message names the range around received_at, as the time the server received the event.
  return error ? [error] : [];
}

function describeMs(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
  return `${seconds} second(s)`;
}

/** The idempotency key of an event across every sink: OpenSearch `_id`, rollup dedupe marker. */
export function eventKey(event: Pick<StoredEvent, 'account_id' | 'event_id'>): string {
  return `${event.account_id}:${event.event_id}`;
}

/**
 * One version of an event: its key and its timestamp (the same instant however it is spelled). A
 * client's resend without a timestamp, or with another, is another version of the same event; the
 * sinks let exactly one version count and be indexed.
 */
export function eventVersionKey(event: Pick<StoredEvent, 'account_id' | 'event_id' | 'timestamp'>): string {
  return `${eventKey(event)}|${Date.parse(event.timestamp)}`;
}
