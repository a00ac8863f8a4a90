/**
 * Validation of one client event against the event schema (`event-schema.ts`), compiled: `z.compile`
 * generates the schema's validator at cold start, so a valid event is checked without being copied,
 * and only a failing one goes through the interpreted parser, for its messages. In a module of its own
 * because the compiler (about 35 KB bundled) is only worth it where every request is validated: ingest.
 */
import * as z from 'zod/mini';
import {
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_PAST_MS,
  type FieldError,
  formatIssues,
  type IncomingEvent,
  incomingEventSchema,
  type TimestampBounds,
} from './event-schema.js';
import { storabilityErrors } from './event-storability.js';

const compiledIncomingEvent = z.compile(incomingEventSchema);

/** A rejection says whether a size limit refused the event (a request refused only so is a 413). */
export type EventValidation =
  | {
      ok: true;
      /** The client's event itself, checked (a valid event is not copied). */
      event: IncomingEvent;
      /** Its `timestamp` in epoch milliseconds, parsed once; absent when the client sent none. */
      timestampMs?: number;
    }
  | { ok: false; errors: FieldError[]; tooLarge?: true };

/**
 * Validates one client event: its structure (iteratively, before anything recursive), its shape, and
 * its timestamp against the bounds around `receivedAt` (bounds keep a buggy client clock from writing
 * into rollup hours long closed). Its size is checked where it is serialized (`eventSizeError`). Never
 * throws, whatever `raw` is.
 */
export function validateIncomingEvent(
  raw: unknown,
  receivedAt: Date,
  bounds: TimestampBounds = { maxPastMs: DEFAULT_MAX_PAST_MS, maxFutureMs: DEFAULT_MAX_FUTURE_MS },
): EventValidation {
  const structural = storabilityErrors(raw);
  if (structural.length > 0) return { ok: false, errors: structural };
  if (!z.validate(compiledIncomingEvent, raw)) {
    const parsed = compiledIncomingEvent.safeParse(raw);
    return { ok: false, errors: parsed.success ? [] : formatIssues(parsed.error.issues) };
  }
  const event = raw as IncomingEvent;
  if (event.timestamp === undefined) return { ok: true, event };
  const timestampMs = Date.parse(event.timestamp);
  const timeError = timestampError(timestampMs, receivedAt.getTime(), bounds);
  if (timeError) return { ok: false, errors: [timeError] };
  return { ok: true, event, timestampMs };
}

function timestampError(at: number, receivedAt: number, bounds: TimestampBounds): FieldError | undefined {
  const earliest = receivedAt - bounds.maxPastMs;
  const latest = receivedAt + bounds.maxFutureMs;
  // The range and the server's clock: a client whose clock is off can tell whose clock is wrong.
  const range = `it must be from ${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()} (the server received the event at ${new Date(receivedAt).toISOString()})`;
  if (at < earliest) {
    return {
      path: 'timestamp',
      message: `timestamp is more than ${describeMs(bounds.maxPastMs)} in the past: ${range}`,
    };
  }
  if (at > latest) {
    return {
      path: 'timestamp',
      message: `timestamp is more than ${describeMs(bounds.maxFutureMs)} in the future: ${range}`,
    };
  }
  return undefined;
}

function describeMs(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
  return `${seconds} second(s)`;
}
