/**
 * The event contract: one zod schema, the single source of truth for ingest, indexer, rollups and
 * broadcast. Ingest validates client input with `validateIncomingEvent` (structure first, then the
 * schema, size and time bounds) and `admitStoredEvent`; stream consumers decode what ingest wrote with
 * the same structural checks, `storedEventSchema` and `admitStoredEvent`, so a record that could not
 * have been admitted never reaches a sink.
 */
import { z } from 'zod';
import {
  ACCOUNT_ID_MAX_LENGTH,
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_PAST_MS,
  EVENT_ID_MAX_LENGTH,
  EVENT_TYPE_MAX_LENGTH,
  EVENT_TYPE_PATTERN,
  ID_MAX_LENGTH,
  MAX_DOCUMENT_ID_BYTES,
  MAX_EVENT_BYTES,
  MAX_STORED_EVENT_BYTES,
  PATH_MAX_LENGTH,
  type TimestampBounds,
  USER_AGENT_MAX_LENGTH,
} from './event-limits.js';
import { type FieldError, storabilityErrors, toWellFormed } from './event-storability.js';

export * from './event-limits.js';
export type { FieldError } from './event-storability.js';

const boundedString = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1, { error: `${field} must not be empty` })
    .max(max, { error: `${field} must be at most ${max} characters` });

export const eventTypeSchema = boundedString('type', EVENT_TYPE_MAX_LENGTH).regex(EVENT_TYPE_PATTERN, {
  error: 'type may only contain a-z, 0-9 and _ . : -',
});

const isoTimestamp = z.iso.datetime({
  offset: true,
  error: 'timestamp must be an ISO-8601 date-time with a time zone, e.g. 2026-01-31T12:00:00Z',
});

const optionalFields = {
  account_id: boundedString('account_id', ACCOUNT_ID_MAX_LENGTH).optional(),
  user_id: boundedString('user_id', ID_MAX_LENGTH).optional(),
  anonymous_id: boundedString('anonymous_id', ID_MAX_LENGTH).optional(),
  session_id: boundedString('session_id', ID_MAX_LENGTH).optional(),
  path: boundedString('path', PATH_MAX_LENGTH).optional(),
  // z.number() rejects NaN and ±Infinity in zod 4, so `value` is always finite.
  value: z.number({ error: 'value must be a finite number' }).optional(),
  properties: z.record(z.string(), z.unknown(), { error: 'properties must be an object' }).optional(),
};

/**
 * An event as a client sends it. Strict: an unknown top-level field is an error rather than silently
 * dropped (the index mapping is strict too); custom data belongs under `properties`.
 */
export const incomingEventSchema = z.strictObject(
  {
    event_id: boundedString('event_id', EVENT_ID_MAX_LENGTH).optional(),
    type: eventTypeSchema,
    timestamp: isoTimestamp.optional(),
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
  event_id: boundedString('event_id', EVENT_ID_MAX_LENGTH),
  account_id: z.string().min(1),
  type: eventTypeSchema,
  timestamp: isoTimestamp,
  received_at: isoTimestamp,
  client_ip: z.string().optional(),
  user_agent: z.string().optional(),
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

/**
 * Byte length of a value's JSON serialization, the measure of the event size limits. Only for values
 * that passed `storabilityErrors`: JSON.stringify recurses, and their depth is bounded.
 */
export function serializedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** A rejection says whether a size limit refused the event (a request refused only so is a 413). */
export type EventValidation =
  | { ok: true; event: IncomingEvent }
  | { ok: false; errors: FieldError[]; tooLarge?: true };

/**
 * Validates one client event: its structure (iteratively, before anything recursive), its shape, its
 * size, and its timestamp against the bounds around `receivedAt` (bounds keep a buggy client clock
 * from writing into rollup hours long closed). Never throws, whatever `raw` is.
 */
export function validateIncomingEvent(
  raw: unknown,
  receivedAt: Date,
  bounds: TimestampBounds = { maxPastMs: DEFAULT_MAX_PAST_MS, maxFutureMs: DEFAULT_MAX_FUTURE_MS },
): EventValidation {
  const structural = storabilityErrors(raw);
  if (structural.length > 0) return { ok: false, errors: structural };
  const parsed = incomingEventSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: formatIssues(parsed.error.issues) };
  }
  const bytes = serializedBytes(raw);
  if (bytes > MAX_EVENT_BYTES) {
    return {
      ok: false,
      tooLarge: true,
      errors: [
        {
          path: '',
          message: `event is ${bytes} bytes serialized, over the 32 KB limit (${MAX_EVENT_BYTES} bytes)`,
        },
      ],
    };
  }
  const { timestamp } = parsed.data;
  if (timestamp !== undefined) {
    const at = Date.parse(timestamp);
    if (at < receivedAt.getTime() - bounds.maxPastMs) {
      return {
        ok: false,
        errors: [
          {
            path: 'timestamp',
            message: `timestamp is more than ${describeMs(bounds.maxPastMs)} in the past`,
          },
        ],
      };
    }
    if (at > receivedAt.getTime() + bounds.maxFutureMs) {
      return {
        ok: false,
        errors: [
          {
            path: 'timestamp',
            message: `timestamp is more than ${describeMs(bounds.maxFutureMs)} in the future`,
          },
        ],
      };
    }
  }
  return { ok: true, event: parsed.data };
}

/** A stored event that every sink can hold, with its serialization (what goes on the stream). */
export type StoredAdmission =
  | { ok: true; json: string; bytes: number }
  | { ok: false; errors: FieldError[]; tooLarge?: true };

/**
 * The limits only the stored event can be measured against: its document id (`account_id:event_id`)
 * within OpenSearch's 512 bytes, and its size, server fields included, within one live WebSocket frame.
 * Ingest checks them after enrichment; consumers check them again when decoding a record.
 */
export function admitStoredEvent(event: StoredEvent): StoredAdmission {
  const idBytes = Buffer.byteLength(eventKey(event));
  if (idBytes > MAX_DOCUMENT_ID_BYTES) {
    return {
      ok: false,
      errors: [
        {
          path: 'event_id',
          message: `account_id:event_id is ${idBytes} bytes (UTF-8), over the ${MAX_DOCUMENT_ID_BYTES}-byte limit of a document id`,
        },
      ],
    };
  }
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_STORED_EVENT_BYTES) {
    return {
      ok: false,
      tooLarge: true,
      errors: [
        {
          path: '',
          message: `event is ${bytes} bytes once stored with the fields the server adds, over the ${MAX_STORED_EVENT_BYTES}-byte limit of a stored event`,
        },
      ],
    };
  }
  return { ok: true, json, bytes };
}

function describeMs(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
  return `${seconds} second(s)`;
}

/** What the server adds to an event when it accepts it. */
export interface ReceiptContext {
  accountId: string;
  receivedAt: Date;
  clientIp?: string;
  userAgent?: string;
  newEventId: () => string;
}

/**
 * Turns a validated client event into the stored event: the key's account, a generated id when the
 * client sent none, the timestamp normalized to UTC (receipt time when absent), and the receipt facts.
 * Check the result with `admitStoredEvent`: the server's fields count towards the stored size.
 */
export function enrichEvent(event: IncomingEvent, receipt: ReceiptContext): StoredEvent {
  const stored: StoredEvent = {
    ...event,
    account_id: receipt.accountId,
    event_id: event.event_id ?? receipt.newEventId(),
    timestamp: new Date(event.timestamp ?? receipt.receivedAt).toISOString(),
    received_at: receipt.receivedAt.toISOString(),
  };
  // Header values come from the network: made well-formed, so the stored event passes its own checks.
  if (receipt.clientIp) stored.client_ip = toWellFormed(receipt.clientIp);
  if (receipt.userAgent) stored.user_agent = toWellFormed(receipt.userAgent.slice(0, USER_AGENT_MAX_LENGTH));
  return stored;
}

/** The idempotency key of an event across every sink: OpenSearch `_id`, rollup dedupe marker. */
export function eventKey(event: Pick<StoredEvent, 'account_id' | 'event_id'>): string {
  return `${event.account_id}:${event.event_id}`;
}
