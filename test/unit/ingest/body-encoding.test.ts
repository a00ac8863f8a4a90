/**
 * What ingest accepts as a body: JSON or text/plain in UTF-8 (else 415 naming what is accepted), gzip
 * or deflate (else 415), decompressed at most to the 1 MB limit (a bomb is a 413 after at most the
 * limit's worth of output), and a corrupt stream is a 400.
 */
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkMediaType, contentCoding, decodedBody } from '../../../lambdas/ingest/body-encoding.js';
import { MAX_BODY_BYTES } from '../../../lambdas/shared/event-limits.js';
import { HttpError } from '../../../lambdas/shared/http.js';

function thrown(act: () => unknown): HttpError {
  try {
    act();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('Content-Type', () => {
  it.each([
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"',
    'text/plain;charset=UTF-8',
    'application/vnd.segment+json',
  ])('accepts %s', (contentType) => {
    expect(() => checkMediaType(contentType)).not.toThrow();
  });

  it.each([
    [
      'application/x-www-form-urlencoded',
      /Content-Type application\/x-www-form-urlencoded is not accepted: send application\/json or text\/plain/,
    ],
    ['multipart/form-data; boundary=x', /Content-Type multipart\/form-data is not accepted/],
    ['text/plain; charset=iso-8859-1', /^Content-Type charset iso-8859-1 is not accepted: bodies are UTF-8/],
    ['application/json; charset=UTF-16', /^Content-Type charset utf-16 is not accepted/],
    ['application/json; charset', /^Content-Type charset \(empty\) is not accepted/],
  ])('answers 415 for %s, naming what is accepted', (contentType, message) => {
    const error = thrown(() => checkMediaType(contentType));
    expect(error.statusCode).toBe(415);
    expect(error.message).toMatch(message);
  });
});

describe('Content-Encoding', () => {
  it('knows identity, gzip (and x-gzip) and deflate, and answers 415 for anything else', () => {
    expect(contentCoding(undefined)).toBe('identity');
    expect(contentCoding('identity')).toBe('identity');
    expect(contentCoding('GZIP')).toBe('gzip');
    expect(contentCoding('x-gzip')).toBe('gzip');
    expect(contentCoding('deflate')).toBe('deflate');
    for (const coding of ['br', 'zstd', 'gzip, deflate']) {
      const error = thrown(() => contentCoding(coding));
      expect(error.statusCode).toBe(415);
      expect(error.message).toMatch(/send one of gzip, deflate, or an uncompressed body/);
    }
  });
});

describe('decompression', () => {
  const json = Buffer.from(JSON.stringify({ events: [{ type: 'page_view', path: '/é' }] }));

  it('inflates gzip, zlib deflate and raw deflate to the same bytes', () => {
    expect(decodedBody(gzipSync(json), 'gzip')).toEqual(json);
    expect(decodedBody(deflateSync(json), 'deflate')).toEqual(json);
    expect(decodedBody(deflateRawSync(json), 'deflate')).toEqual(json);
  });

  it('answers 413 to a compression bomb, stopping at the limit', () => {
    // 16 MB of zeros compress to ~16 KB: small on the wire, far over the limit once inflated.
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    expect(bomb.byteLength).toBeLessThan(MAX_BODY_BYTES);

    const started = performance.now();
    const error = thrown(() => decodedBody(bomb, 'gzip'));

    expect(error.statusCode).toBe(413);
    expect(error.message).toBe(
      `request body is over the 1 MB limit (${MAX_BODY_BYTES} bytes) once decompressed`,
    );
    // Inflating 16 MB takes far longer than a megabyte's worth on any machine.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('accepts a body that inflates to exactly the limit', () => {
    const atLimit = Buffer.alloc(MAX_BODY_BYTES, 0x20);
    expect(decodedBody(gzipSync(atLimit), 'gzip').byteLength).toBe(MAX_BODY_BYTES);
  });

  it('answers 413 to compressed bytes over the limit before inflating them', () => {
    const error = thrown(() => decodedBody(Buffer.alloc(MAX_BODY_BYTES + 1), 'gzip'));
    expect(error.statusCode).toBe(413);
  });

  it('answers 400 to bytes after the end of a deflate stream, as gunzip does after a gzip member', () => {
    const junk = Buffer.from('{"events":[]}');
    for (const compressed of [deflateSync(json), deflateRawSync(json)]) {
      const error = thrown(() => decodedBody(Buffer.concat([compressed, junk]), 'deflate'));
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe(
        `request body is not valid deflate data: ${junk.byteLength} bytes follow the end of the compressed stream (Content-Encoding: deflate)`,
      );
      // Zero padding after the stream is no damage (gunzip accepts it too).
      expect(decodedBody(Buffer.concat([compressed, Buffer.alloc(8)]), 'deflate')).toEqual(json);
    }
    expect(thrown(() => decodedBody(Buffer.concat([gzipSync(json), junk]), 'gzip')).statusCode).toBe(400);
    expect(decodedBody(Buffer.concat([gzipSync(json), Buffer.alloc(8)]), 'gzip')).toEqual(json);
  });

  it('answers 400, not 500, to a corrupt or truncated stream', () => {
    const gzipped = gzipSync(json);
    for (const corrupt of [Buffer.from('{"not":"gzip"}'), gzipped.subarray(0, gzipped.byteLength - 6)]) {
      const error = thrown(() => decodedBody(corrupt, 'gzip'));
      expect(error.statusCode).toBe(400);
      expect(error.message).toMatch(/^request body is not valid gzip data: .*\(Content-Encoding: gzip\)$/);
    }
  });
});
