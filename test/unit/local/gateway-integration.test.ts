import { describe, expect, it } from 'vitest';
import { isBinaryMediaType, mapProxyResult } from '../../../local/gateway/proxy-integration.js';
import { connectVerdict } from '../../../local/gateway/websocket-events.js';

describe('mapProxyResult', () => {
  it('maps status, headers and body, multi-value headers winning', () => {
    // Act
    const mapped = mapProxyResult({
      statusCode: '202',
      headers: { 'X-One': 'a', 'Set-Cookie': 'ignored' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
      body: '{"ok":true}',
    });

    // Assess
    expect(mapped).toEqual({
      statusCode: 202,
      headers: { 'x-one': ['a'], 'set-cookie': ['a=1', 'b=2'] },
      body: Buffer.from('{"ok":true}'),
    });
  });

  it('decodes a base64 body', () => {
    expect(mapProxyResult({ statusCode: 200, body: 'aGk=', isBase64Encoded: true })).toMatchObject({
      body: Buffer.from('hi'),
    });
  });

  it.each([
    [null, 'the result is not an object'],
    [[], 'the result is not an object'],
    [{ body: 'x' }, 'statusCode undefined is not an HTTP status'],
    [{ statusCode: 99 }, 'statusCode 99 is not an HTTP status'],
    [{ statusCode: 200, body: {} }, 'body is not a string'],
    [{ statusCode: 200, headers: 'x' }, 'headers is not an object'],
    [{ statusCode: 200, multiValueHeaders: { a: 'b' } }, 'multiValueHeaders.a is not a list'],
  ])('calls %j malformed: %s', (payload, reason) => {
    expect(mapProxyResult(payload)).toEqual({ malformed: reason });
  });
});

describe('isBinaryMediaType', () => {
  it.each([
    [undefined, ['*/*'], true],
    ['text/plain;charset=UTF-8', ['*/*'], true],
    ['application/json', [], false],
    ['application/gzip', ['application/*'], true],
    ['text/plain', ['application/*'], false],
    [undefined, ['application/json'], true],
    ['IMAGE/PNG', ['image/png'], true],
  ] as const)('%s with binary types %j is binary: %s', (contentType, types, expected) => {
    // Act & Assess: API Gateway takes a missing Content-Type as application/json.
    expect(isBinaryMediaType(contentType, types)).toBe(expected);
  });
});

describe('connectVerdict', () => {
  it('accepts a result without a status code', () => {
    expect(connectVerdict({ status: 'ok', payload: null, durationMs: 1 })).toEqual({
      statusCode: 200,
      body: null,
    });
  });

  it('refuses with the status and body the function answered', () => {
    expect(
      connectVerdict({ status: 'ok', payload: { statusCode: 401, body: 'no token' }, durationMs: 1 }),
    ).toEqual({ statusCode: 401, body: 'no token' });
  });

  it('takes the chosen subprotocol from the Sec-WebSocket-Protocol header, whatever its case', () => {
    expect(
      connectVerdict({
        status: 'ok',
        payload: { headers: { 'sec-websocket-protocol': 'v1' } },
        durationMs: 1,
      }),
    ).toMatchObject({ statusCode: 200, protocol: 'v1' });
  });

  it('is a 500 for a function error and a 502 for a status that is not HTTP', () => {
    expect(
      connectVerdict({ status: 'error', errorType: 'Error', errorMessage: 'x', durationMs: 1 }).statusCode,
    ).toBe(500);
    expect(connectVerdict({ status: 'ok', payload: { statusCode: 'soon' }, durationMs: 1 }).statusCode).toBe(
      502,
    );
  });
});
