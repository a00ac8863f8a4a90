/**
 * From the request API Gateway hands over to the list of raw events: media type and coding checked
 * (`body-encoding.ts`), size on the bytes received and after decompression, UTF-8 decoded strictly
 * (invalid bytes are refused, never replaced), JSON parsed, and the envelope checked. Every failure is
 * a typed 400, 413 or 415; nothing here throws anything else, whatever the body.
 *
 * Text and binary bodies: the REST API declares every media type binary (`*\/*`), so API Gateway hands
 * every body over base64-encoded (`isBase64Encoded`), bytes as received; the local gateway does the
 * same. They are decoded here with a fatal UTF-8 decoder, so a single invalid byte is a 400. A text
 * body (from an API without binary media types, or a test) is already a string; it is refused if it
 * holds a lone surrogate. See docs/decisions.md.
 *
 * Depth: V8's JSON.parse is iterative (since V8 7.6), so a 1 MB body of `[[[[...` parses or fails with
 * a SyntaxError without overflowing the stack; any error it throws is still answered 400. The events
 * it returns are checked iteratively (`storabilityErrors`) before anything recursive sees them.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { MAX_BATCH_EVENTS } from '../shared/event-limits.js';
import { isPlainObject, isWellFormedUnicode, toWellFormed } from '../shared/event-storability.js';
import {
  BadRequestError,
  headerValue,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../shared/http.js';
import {
  ACCEPTED_MEDIA_TYPES,
  assertWithinBodyLimit,
  type ContentCoding,
  checkMediaType,
  contentCoding,
  decodedBody,
} from './body-encoding.js';

/** The body as the proxy event carries it, with the headers that say what it is. */
export interface RawBody {
  body: string | null;
  isBase64Encoded: boolean;
  headers?: Record<string, string | undefined> | null;
  /** Every value of each header: a header sent twice is in `headers` only with its last value. */
  multiValueHeaders?: Record<string, string[] | undefined> | null;
}

/** The events of a request: a single event object, or `{ "events": [...] }`. */
export function eventsOfBody(request: RawBody): unknown[] {
  const parsed = parseJson(bodyText(request));
  if (!isPlainObject(parsed)) {
    throw new BadRequestError('request body must be an event object or {"events": [...]}');
  }
  if (!('events' in parsed)) return [parsed];
  // A field beside `events` (a batch-wide `timestamp` or `account_id`, say) would be dropped unseen.
  const extra = Object.keys(parsed).find((key) => key !== 'events');
  if (extra !== undefined) {
    const field = toWellFormed(extra.slice(0, 64));
    throw new BadRequestError(
      `unknown field "${field}" beside events: a batch is {"events": [...]} alone, each event with its own fields`,
      { field },
    );
  }
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
  checkMediaType(singleContentType(headerValues(request, 'content-type')));
  // Header lines of a list header are one list (RFC 9110 §5.3): `gzip` twice means gzip twice.
  const encodings = headerValues(request, 'content-encoding');
  const coding = contentCoding(encodings.length > 0 ? encodings.join(', ') : undefined);
  const { body } = request;
  if (body === null || body === '') throw new BadRequestError('request body is empty');
  if (!request.isBase64Encoded && coding === 'identity') {
    assertWithinBodyLimit(Buffer.byteLength(body, 'utf8'), 'request body is');
    if (!isWellFormedUnicode(body)) {
      throw new BadRequestError('request body is not valid Unicode: it holds a lone UTF-16 surrogate');
    }
    return body;
  }
  // A compressed body that arrived as text was already decoded as UTF-8 on the way: inflating it fails.
  const received = request.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  return utf8Text(decodedBody(received, coding), coding);
}

/**
 * Bytes as text, refused unless they are well-formed UTF-8. Checked natively first (`isUtf8`), so
 * decoding never replaces a byte; an ASCII body (the usual one) becomes a one-byte string, which
 * `JSON.parse` reads fastest.
 */
function utf8Text(bytes: Buffer, coding: ContentCoding): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  if (!isUtf8(bytes)) {
    // A client that compresses but forgets the header is the usual cause of binary bytes: say so.
    if (coding === 'identity' && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      throw new BadRequestError(
        'request body is gzip-compressed but the request has no Content-Encoding: gzip header',
      );
    }
    throw new BadRequestError('request body is not valid UTF-8: invalid bytes are refused, not replaced');
  }
  return bytes.toString('utf8');
}

/** Every value of the header `name` (any case), in order: all of its lines, or its one value. */
function headerValues(request: RawBody, name: string): string[] {
  const values = Object.entries(request.multiValueHeaders ?? {})
    .filter(([key]) => key.toLowerCase() === name)
    .flatMap(([, lines]) => lines ?? []);
  if (values.length > 0) return values;
  const single = headerValue(request.headers, name);
  return single === undefined ? [] : [single];
}

/** The one media type of a request; a body cannot be of two, so differing lines are a 415. */
function singleContentType(values: string[]): string | undefined {
  const distinct = [...new Set(values.map((value) => value.trim().toLowerCase()))];
  if (distinct.length > 1) {
    throw new UnsupportedMediaTypeError(
      `Content-Type is given ${values.length} times with different values: send one (application/json or text/plain)`,
      { accepted_media_types: [...ACCEPTED_MEDIA_TYPES] },
    );
  }
  return values[0];
}

/** U+FEFF, which Windows tools (PowerShell, .NET's UTF8 encoder, Notepad) write at the start of UTF-8. */
const BYTE_ORDER_MARK = 0xfeff;

/** JSON text, a leading byte order mark ignored (RFC 8259 §8.1 lets a parser ignore it). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'nested too deeply to parse';
    throw new BadRequestError(`request body is not valid JSON: ${toWellFormed(reason.slice(0, 200))}`);
  }
}
