/**
 * From the bytes API Gateway hands over to the list of raw events: size on the bytes received, UTF-8
 * decoded strictly (invalid bytes are refused, never replaced), JSON parsed, and the envelope checked.
 * Every failure is a typed 400 or 413; nothing here throws anything else, whatever the body.
 *
 * Text and binary bodies: API Gateway (REST, Lambda proxy) passes a body whose Content-Type is not one of
 * the API's binary media types as a string, having decoded it as UTF-8 itself, and any other body
 * base64-encoded (`isBase64Encoded`). A base64 body is decoded here with a fatal UTF-8 decoder, so a
 * single invalid byte is a 400. A text body is already a string; it is refused if it holds a lone
 * surrogate (possible only from a caller other than API Gateway). See docs/decisions.md.
 *
 * Depth: V8's JSON.parse is iterative (since V8 7.6), so a 1 MB body of `[[[[...` parses or fails with
 * a SyntaxError without overflowing the stack; any error it throws is still answered 400. The events
 * it returns are checked iteratively (`storabilityErrors`) before anything recursive sees them.
 */
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from '../shared/event-schema.js';
import { isPlainObject, isWellFormedUnicode, toWellFormed } from '../shared/event-storability.js';
import { BadRequestError, PayloadTooLargeError } from '../shared/http.js';

/** The body as the proxy event carries it. */
export interface RawBody {
  body: string | null;
  isBase64Encoded: boolean;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The events of a request: a single event object, or `{ "events": [...] }`. */
export function eventsOfBody(request: RawBody): unknown[] {
  const parsed = parseJson(bodyText(request));
  if (!isPlainObject(parsed)) {
    throw new BadRequestError('request body must be an event object or {"events": [...]}');
  }
  if (!('events' in parsed)) return [parsed];
  const { events } = parsed;
  if (!Array.isArray(events)) throw new BadRequestError('events must be an array');
  if (events.length === 0) throw new BadRequestError('events must not be empty');
  if (events.length > MAX_BATCH_EVENTS) {
    throw new PayloadTooLargeError(
      `request has ${events.length} events, over the limit of ${MAX_BATCH_EVENTS} events per request`,
      { limit_events: MAX_BATCH_EVENTS },
    );
  }
  return events;
}

/** The body as text, measured on the bytes received and refused unless it is well-formed UTF-8. */
function bodyText(request: RawBody): string {
  const { body } = request;
  if (body === null || body === '') throw new BadRequestError('request body is empty');
  if (request.isBase64Encoded) {
    const bytes = Buffer.from(body, 'base64');
    assertWithinBodyLimit(bytes.byteLength);
    try {
      return STRICT_UTF8.decode(bytes);
    } catch {
      throw new BadRequestError('request body is not valid UTF-8: invalid bytes are refused, not replaced');
    }
  }
  assertWithinBodyLimit(Buffer.byteLength(body, 'utf8'));
  if (!isWellFormedUnicode(body)) {
    throw new BadRequestError('request body is not valid Unicode: it holds a lone UTF-16 surrogate');
  }
  return body;
}

function assertWithinBodyLimit(size: number): void {
  if (size > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `request body is ${size} bytes, over the 1 MB limit (${MAX_BODY_BYTES} bytes)`,
      { limit_bytes: MAX_BODY_BYTES },
    );
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'nested too deeply to parse';
    throw new BadRequestError(`request body is not valid JSON: ${toWellFormed(reason.slice(0, 200))}`);
  }
}
