/**
 * What a request body is and how it is encoded, checked before a byte of it is read: its media type
 * (`Content-Type`) must be one that can carry JSON, and its coding (`Content-Encoding`) one ingest can
 * undo. A compressed body is inflated with its output bounded by the body limit, so a compression bomb
 * costs at most 1 MB of work before it is a 413, and a corrupt stream is a 400, never a 500.
 */
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { MAX_BODY_BYTES } from '../shared/event-limits.js';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../shared/http.js';

/**
 * Media types whose body is read as JSON: `application/json` (and `+json` types), and `text/plain`,
 * which is what a browser sends without a CORS preflight (`navigator.sendBeacon` with a string, `fetch`
 * with a string body).
 */
export const ACCEPTED_MEDIA_TYPES = ['application/json', 'text/plain'] as const;
/** The content codings ingest undoes. */
export const ACCEPTED_ENCODINGS = ['gzip', 'deflate'] as const;

export type ContentCoding = 'identity' | (typeof ACCEPTED_ENCODINGS)[number];

const ACCEPTED_TEXT = `send ${ACCEPTED_MEDIA_TYPES.join(' or ')} (UTF-8 JSON)`;

/**
 * Checks `Content-Type`: absent, `application/json`, `application/<anything>+json` or `text/plain`, in
 * UTF-8 if a charset is named. Anything else is a 415 that says what is accepted.
 */
export function checkMediaType(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === '') return;
  const [essence = '', ...parameters] = contentType.split(';');
  const type = essence.trim().toLowerCase();
  const json = type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
  if (!json && type !== 'text/plain') {
    throw new UnsupportedMediaTypeError(`Content-Type ${cut(type)} is not accepted: ${ACCEPTED_TEXT}`, {
      accepted_media_types: [...ACCEPTED_MEDIA_TYPES],
    });
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    const charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
    if (name.trim().toLowerCase() === 'charset' && charset !== 'utf-8' && charset !== 'utf8') {
      throw new UnsupportedMediaTypeError(
        `Content-Type charset ${cut(charset) || '(empty)'} is not accepted: bodies are UTF-8 (${ACCEPTED_TEXT})`,
        { accepted_media_types: [...ACCEPTED_MEDIA_TYPES] },
      );
    }
  }
}

/** The coding of `Content-Encoding`: none (`identity`), or one of gzip and deflate; else a 415. */
export function contentCoding(contentEncoding: string | undefined): ContentCoding {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return 'identity';
  const [coding] = codings;
  const known = coding === 'x-gzip' ? 'gzip' : coding;
  if (codings.length > 1 || (known !== 'gzip' && known !== 'deflate')) {
    throw new UnsupportedMediaTypeError(
      `Content-Encoding ${cut(codings.join(', '))} is not accepted: send one of ${ACCEPTED_ENCODINGS.join(', ')}, or an uncompressed body`,
      { accepted_encodings: [...ACCEPTED_ENCODINGS] },
    );
  }
  return known;
}

/**
 * The body's bytes once its coding is undone, at most `MAX_BODY_BYTES` of them: the received bytes are
 * held to the limit too, and inflating stops as soon as the output would pass it.
 */
export function decodedBody(received: Buffer, coding: ContentCoding): Buffer {
  assertWithinBodyLimit(received.byteLength, 'request body is');
  if (coding === 'identity') return received;
  // One byte over the limit is enough to know the body is too large.
  const options = { maxOutputLength: MAX_BODY_BYTES + 1 };
  let decoded: Buffer;
  try {
    decoded = coding === 'gzip' ? gunzipSync(received, options) : inflateDeflate(received, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLargeDecompressed();
    throw new BadRequestError(
      `request body is not valid ${coding} data: ${cut((error as Error).message)} (Content-Encoding: ${coding})`,
    );
  }
  if (decoded.byteLength > MAX_BODY_BYTES) throw tooLargeDecompressed();
  return decoded;
}

/**
 * `deflate` is the zlib format (RFC 9110); some clients send raw deflate, which has no zlib header.
 * zlib stops at the end of the stream and ignores what follows; bytes there other than zero padding
 * mean a damaged or spliced body, refused as gunzip refuses them after a gzip member.
 */
function inflateDeflate(received: Buffer, options: { maxOutputLength: number }): Buffer {
  const zlibHeader =
    received.byteLength >= 2 && (received[0] as number) % 16 === 8 && received.readUInt16BE(0) % 31 === 0;
  const inflate = zlibHeader ? inflateSync : inflateRawSync;
  const { buffer, engine } = inflate(received, { ...options, info: true }) as unknown as {
    buffer: Buffer;
    engine: { bytesWritten: number };
  };
  const trailing = received.subarray(engine.bytesWritten);
  if (trailing.some((byte) => byte !== 0)) {
    throw new Error(`${trailing.byteLength} bytes follow the end of the compressed stream`);
  }
  return buffer;
}

function tooLargeDecompressed(): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `request body is over the 1 MB limit (${MAX_BODY_BYTES} bytes) once decompressed`,
    { limit_bytes: MAX_BODY_BYTES },
  );
}

export function assertWithinBodyLimit(size: number, what: string): void {
  if (size > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`${what} ${size} bytes, over the 1 MB limit (${MAX_BODY_BYTES} bytes)`, {
      limit_bytes: MAX_BODY_BYTES,
    });
  }
}

/** A header's value cut for a message: it comes from the client. */
function cut(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 100 ? `${printable.slice(0, 100)}…` : printable;
}
