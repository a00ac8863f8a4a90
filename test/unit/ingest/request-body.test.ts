import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { eventsOfBody } from '../../../lambdas/ingest/request-body.js';
import { MAX_BODY_BYTES } from '../../../lambdas/shared/event-limits.js';
import { HttpError } from '../../../lambdas/shared/http.js';
import { invalidUtf8Json, nestedArraysJson } from '../../helpers/hostile-events.js';

/** The HTTP error `eventsOfBody` throws for the body (fails the test on any other outcome). */
function refusal(body: string | null, isBase64Encoded = false): HttpError {
  try {
    eventsOfBody({ body, isBase64Encoded });
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw new Error(`expected an HttpError, got ${String(error)}`);
  }
  throw new Error('expected the body to be refused');
}

/** A body of exactly `bytes` bytes: one event whose property fills the rest. */
function bodyOfBytes(bytes: number): string {
  const head = '{"type":"x","properties":{"pad":"';
  const tail = '"}}';
  return `${head}${'x'.repeat(bytes - head.length - tail.length)}${tail}`;
}

describe('eventsOfBody', () => {
  it('reads a single event or a batch', () => {
    // Act & Assess
    expect(eventsOfBody({ body: '{"type":"a"}', isBase64Encoded: false })).toEqual([{ type: 'a' }]);
    expect(eventsOfBody({ body: '{"events":[{"type":"a"},7]}', isBase64Encoded: false })).toEqual([
      { type: 'a' },
      7,
    ]);
  });

  it('decodes a base64 body as strict UTF-8, multi-byte characters included', () => {
    // Prepare
    const body = Buffer.from('{"type":"a","user_id":"Zoë 😀"}').toString('base64');

    // Act
    const events = eventsOfBody({ body, isBase64Encoded: true });

    // Assess
    expect(events).toEqual([{ type: 'a', user_id: 'Zoë 😀' }]);
  });

  it('ignores a byte order mark at the start of the body, as RFC 8259 allows, and nowhere else', () => {
    // Prepare: what PowerShell's Out-File -Encoding utf8 or .NET's Encoding.UTF8 writes.
    const json = '\ufeff{"type":"a"}';
    const bytes = Buffer.from(json, 'utf8');

    // Act
    const asText = eventsOfBody({ body: json, isBase64Encoded: false });
    const asBytes = eventsOfBody({ body: bytes.toString('base64'), isBase64Encoded: true });
    const twice = refusal(`\ufeff${json}`);

    // Assess
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(asText).toEqual([{ type: 'a' }]);
    expect(asBytes).toEqual([{ type: 'a' }]);
    expect(twice.statusCode).toBe(400);
  });

  it('refuses invalid UTF-8 bytes with a 400 instead of replacing them', () => {
    // Prepare
    const body = invalidUtf8Json({ type: 'a' }).toString('base64');

    // Act
    const error = refusal(body, true);

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe('request body is not valid UTF-8: invalid bytes are refused, not replaced');
  });

  it('says a gzip body sent without its Content-Encoding header is missing the header', () => {
    // Prepare
    const body = gzipSync('{"type":"a"}').toString('base64');

    // Act
    const error = refusal(body, true);

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe(
      'request body is gzip-compressed but the request has no Content-Encoding: gzip header',
    );
  });

  it('refuses a text body holding a lone surrogate', () => {
    // Act
    const error = refusal('{"type":"a","user_id":"\ud800"}');

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(/lone UTF-16 surrogate/);
  });

  it.each([false, true])(
    'accepts a body of exactly 1 MB and refuses one byte more (base64: %s)',
    (base64) => {
      // Prepare
      const encode = (text: string) => (base64 ? Buffer.from(text).toString('base64') : text);

      // Act
      const atLimit = eventsOfBody({ body: encode(bodyOfBytes(MAX_BODY_BYTES)), isBase64Encoded: base64 });
      const error = refusal(encode(bodyOfBytes(MAX_BODY_BYTES + 1)), base64);

      // Assess
      expect(atLimit).toHaveLength(1);
      expect(error.statusCode).toBe(413);
      expect(error.message).toBe('request body is 1048577 bytes, over the 1 MB limit (1048576 bytes)');
    },
  );

  it('measures the limit on the bytes received, not on characters', () => {
    // Prepare: 2 bytes per character in UTF-8.
    const head = '{"type":"x","properties":{"pad":"';
    const body = `${head}${'é'.repeat(MAX_BODY_BYTES / 2)}"}}`;

    // Act
    const error = refusal(body);

    // Assess
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect(error.statusCode).toBe(413);
  });

  it('answers 400 for a megabyte of nested arrays, balanced or not, without overflowing the stack', () => {
    // Prepare
    const balanced = nestedArraysJson(MAX_BODY_BYTES / 2 - 1);
    const unbalanced = '['.repeat(MAX_BODY_BYTES);

    // Act
    const errors = [refusal(balanced), refusal(unbalanced)];
    const deepEvent = eventsOfBody({
      body: `{"events":${nestedArraysJson(400_000)}}`,
      isBase64Encoded: false,
    });

    // Assess: a deep event inside a batch is the admission's to refuse, alone (see admission.test.ts).
    expect(errors.map((error) => error.statusCode)).toEqual([400, 400]);
    expect(deepEvent).toHaveLength(1);
    expect(errors[0]?.message).toBe('request body must be an event object or {"events": [...]}');
    expect(errors[1]?.message).toMatch(/^request body is not valid JSON/);
  });

  it.each([
    ['null', 'request body must be an event object or {"events": [...]}'],
    ['[{"type":"a"}]', 'request body must be an event object or {"events": [...]}'],
    ['"event"', 'request body must be an event object or {"events": [...]}'],
    ['42', 'request body must be an event object or {"events": [...]}'],
    ['{"events":{"type":"a"}}', 'events must be an array'],
    ['{"events":[]}', 'events must not be empty'],
    [
      '{"events":[{"type":"a"}],"timestamp":"2026-01-31T12:00:00Z"}',
      'unknown field "timestamp" beside events: a batch is {"events": [...]} alone, each event with its own fields',
    ],
    ['{"type":', expect.stringMatching(/^request body is not valid JSON/)],
  ])('answers 400 for the body %s', (body, message) => {
    // Act
    const error = refusal(body);

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.message).toEqual(message);
  });

  it('answers 400 for an empty body', () => {
    // Act & Assess
    expect(refusal(null).message).toBe('request body is empty');
    expect(refusal('').message).toBe('request body is empty');
  });

  describe('a header sent on several lines, as API Gateway passes it (last value in headers, all in multiValueHeaders)', () => {
    const body = (json: string, codings: number) => {
      let bytes = Buffer.from(json);
      for (let round = 0; round < codings; round += 1) bytes = gzipSync(bytes);
      return bytes.toString('base64');
    };
    const withLines = (name: string, lines: string[], payload: string) => ({
      body: payload,
      isBase64Encoded: true,
      headers: { [name]: lines[lines.length - 1] },
      multiValueHeaders: { [name]: lines },
    });

    it('reads Content-Encoding lines as one list: gzip on two lines is answered as "gzip, gzip" is', () => {
      // Act
      const refusals = [
        withLines('Content-Encoding', ['gzip', 'gzip'], body('{"type":"a"}', 1)),
        withLines('Content-Encoding', ['gzip, gzip'], body('{"type":"a"}', 2)),
      ].map((request) => {
        try {
          eventsOfBody(request);
        } catch (error) {
          return error;
        }
        return undefined;
      });

      // Assess
      for (const refused of refusals) {
        expect(refused).toMatchObject({
          statusCode: 415,
          message: expect.stringContaining('Content-Encoding gzip, gzip is not accepted'),
        });
      }
    });

    it('answers an unsupported coding on an earlier line with a 415 naming it', () => {
      // Act
      let refused: unknown;
      try {
        eventsOfBody(withLines('content-encoding', ['br', 'gzip'], body('{"type":"a"}', 1)));
      } catch (error) {
        refused = error;
      }

      // Assess
      expect(refused).toMatchObject({ statusCode: 415, message: expect.stringContaining('br, gzip') });
    });

    it('refuses Content-Type lines that differ with a 415, and takes repeated equal ones', () => {
      // Act
      let refused: unknown;
      try {
        eventsOfBody(
          withLines('Content-Type', ['application/xml', 'application/json'], body('{"type":"a"}', 0)),
        );
      } catch (error) {
        refused = error;
      }
      const same = eventsOfBody(
        withLines('Content-Type', ['application/json', 'application/json'], body('{"type":"a"}', 0)),
      );

      // Assess
      expect(refused).toMatchObject({
        statusCode: 415,
        message:
          'Content-Type is given 2 times with different values: send one (application/json or text/plain)',
      });
      expect(same).toEqual([{ type: 'a' }]);
    });
  });
});
