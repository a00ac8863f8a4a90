/**
 * The SigV4 signer the function bundles use in place of `aws4` (lambdas/shared/sigv4-signer.ts) signs
 * every request as the real aws4 does: the same Authorization header, the same path sent, the same
 * headers, for requests of every shape opensearch-js builds and hostile ones around them.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { openSearchConnection } from '../../../lambdas/shared/opensearch-connection.js';
import { type SignableRequest, sign } from '../../../lambdas/shared/sigv4-signer.js';
import { realAws4 } from '../../helpers/opensearch-dependencies.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const SESSION = { ...CREDENTIALS, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//token+/=' };
const AMZ_DATE = '20260102T030405Z';
const HOST = 'search-events-abc123.eu-west-1.es.amazonaws.com';

/** A request as opensearch-js's SigV4 connection hands it to `sign`, with a fixed date. */
function openSearchRequest(overrides: Partial<SignableRequest> & { path: string }): SignableRequest {
  const body = overrides.body;
  return {
    service: 'es',
    region: 'eu-west-1',
    method: 'GET',
    hostname: HOST,
    ...overrides,
    headers: {
      host: HOST,
      'user-agent': 'opensearch-js/3.9.0 (linux; Node.js v22)',
      'x-amz-date': AMZ_DATE,
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...overrides.headers,
    },
  };
}

/** Both signers' results for one request (each signs its own copy: both mutate what they sign). */
function signBoth(request: SignableRequest, credentials: typeof CREDENTIALS = CREDENTIALS) {
  const copy = () => ({ ...request, headers: { ...request.headers } });
  return { ours: sign(copy(), credentials), theirs: realAws4.sign(copy(), credentials) };
}

const PATHS = [
  '/',
  '',
  '/events-acc1-2026.01/_search',
  '/events-*/_search',
  '/events-acc1-*,events-acc2-*/_count',
  '/events-%2A/_search',
  '/caf%C3%A9/_doc/a%2Fb',
  '/café/_doc/ü',
  '/emoji-😀/_doc/%F0%9F%98%80',
  '/a/../b/./c',
  '/..',
  '/a//b///c/',
  '//double/leading',
  "/quote's(paren)!*/x",
  '/space here/_doc',
  '/hash#frag',
  '/%25already%25/_doc',
];

const QUERIES = [
  '?',
  '?size=0',
  '?b=2&a=1&c=3',
  '?a=2&b=x&a=1&a=10',
  '?empty=&flag&=orphan',
  '?q=a+b%20c',
  "?q=it's(*)!~",
  '?k%20ey=v%26al&%C3%A9=%E2%82%AC',
  '?filter_path=hits.hits._source,took&timeout=30s',
  '?2=two&1=one&b=bee',
  '?x=%zz&y=%',
  '?unicode=日本',
];

describe('sigv4-signer (for aws4)', () => {
  it.each(PATHS)('signs the path %j as aws4 does', (path) => {
    // Act
    const { ours, theirs } = signBoth(openSearchRequest({ path }));

    // Assess
    expect(ours).toEqual(theirs);
  });

  it.each(QUERIES)('signs the query string %j as aws4 does, and sends it as aws4 does', (query) => {
    // Act
    const { ours, theirs } = signBoth(openSearchRequest({ path: `/events-*/_search${query}` }));

    // Assess
    expect(ours.path).toBe(theirs.path);
    expect(ours.headers.Authorization).toBe(theirs.headers.Authorization);
  });

  it.each([
    ['GET', undefined],
    ['POST', '{"query":{"match_all":{}}}'],
    ['POST', Buffer.from('{"index":{}}\n{"name":"é"}\n')],
    ['PUT', '{"settings":{}}'],
    ['DELETE', undefined],
    [undefined, 'a body without a method'],
  ] as const)('signs a %s request with body %j as aws4 does', (method, body) => {
    // Prepare
    const request = openSearchRequest({
      path: '/events-acc1/_bulk?refresh=false',
      ...(method && { method }),
      body,
    });

    // Act
    const { ours, theirs } = signBoth(request);

    // Assess
    expect(ours).toEqual(theirs);
  });

  it('adds the session token and signs it, as aws4 does', () => {
    // Act
    const { ours, theirs } = signBoth(openSearchRequest({ path: '/events-*/_search' }), SESSION);

    // Assess
    expect(ours.headers['X-Amz-Security-Token']).toBe(SESSION.sessionToken);
    expect(ours).toEqual(theirs);
  });

  it('signs what aws4 signs when the caller leaves headers out: host with its port, date, body hash', () => {
    // Prepare: only what the signer cannot derive; now is fixed for both.
    vi.useFakeTimers({ now: new Date('2026-01-02T03:04:05.678Z'), toFake: ['Date'] });
    const request = {
      service: 'aoss',
      region: 'us-east-1',
      hostname: 'localhost',
      port: 9443,
      path: '/x',
      body: 'b',
    };

    // Act
    const { ours, theirs } = signBoth(request);
    vi.useRealTimers();

    // Assess
    expect(ours.headers['X-Amz-Date']).toBe(AMZ_DATE);
    expect(ours).toEqual(theirs);
  });

  it('leaves out of the signature the headers aws4 leaves out, folds whitespace, replaces a stale Authorization', () => {
    // Prepare
    const request = openSearchRequest({
      path: '/events-*/_search',
      headers: {
        Authorization: 'stale',
        Connection: 'keep-alive',
        Range: 'bytes=0-1',
        'X-Custom': '  spaced   out\tvalue ',
        'x-amzn-trace-id': 'Root=1-abc',
      },
    });

    // Act
    const { ours, theirs } = signBoth(request);

    // Assess
    expect(ours.headers.Authorization).toContain(
      'SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-custom,',
    );
    expect(ours).toEqual(theirs);
  });

  it('signs any path and query aws4 signs, identically', () => {
    // Prepare: paths and query strings of URI characters, escapes and non-ASCII text.
    const piece = fc.stringMatching(/^[\w.~*,!'()$&+=:@;/?%-]{0,12}$/);
    const percentEscape = fc
      .integer({ min: 0, max: 255 })
      .map((byte) => `%${byte.toString(16).padStart(2, '0')}`);
    const text = fc.array(fc.oneof(piece, percentEscape, fc.string({ unit: 'grapheme', maxLength: 3 })), {
      maxLength: 6,
    });

    // Act and Assess
    fc.assert(
      fc.property(text, text, (path, query) => {
        const request = openSearchRequest({ path: `/${path.join('')}?${query.join('')}` });
        let theirs: unknown;
        try {
          theirs = realAws4.sign({ ...request, headers: { ...request.headers } }, CREDENTIALS);
        } catch (error) {
          // A path aws4 cannot decode (a stray `%` beside non-ASCII text) is refused by both.
          expect(() => sign(request, CREDENTIALS)).toThrow((error as Error).constructor as typeof Error);
          return;
        }
        expect(sign(request, CREDENTIALS)).toEqual(theirs);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what it does not sign as aws4 would (no service or region given, S3, query signing)', () => {
    // Act and Assess
    for (const request of [
      { path: '/', hostname: HOST },
      { path: '/', hostname: HOST, service: 's3', region: 'us-east-1' },
      { path: '/', hostname: HOST, service: 'es', region: 'us-east-1', signQuery: true },
    ]) {
      expect(() => sign(request, CREDENTIALS)).toThrow('sigv4-signer signs requests that name their service');
    }
  });
});

describe('sigv4-signer against the AWS SDK signer', () => {
  /** SHA-256 and HMAC-SHA-256 on node:crypto, as the SDK's signer takes them. */
  const bytes = (data: SourceData) =>
    typeof data === 'string'
      ? data
      : ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
  class Sha256 {
    readonly #hash;
    constructor(secret?: SourceData) {
      this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
    }
    update(data: SourceData): void {
      this.#hash.update(bytes(data));
    }
    async digest(): Promise<Uint8Array> {
      return new Uint8Array(this.#hash.digest());
    }
  }

  it('computes the signature @smithy/signature-v4 computes for an OpenSearch request', async () => {
    // Prepare: a search over two index patterns with a query string, a body and a session token.
    const body = '{"query":{"match_all":{}}}';
    const headers = {
      host: HOST,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    };
    const path = '/events-acc1-*,events-acc2-*/_search';
    const sdkSigner = new SignatureV4({
      credentials: SESSION,
      region: 'eu-west-1',
      service: 'es',
      sha256: Sha256,
    });

    // Act
    const ours = sign(
      openSearchRequest({ method: 'POST', path: `${path}?size=0&filter_path=hits.total`, body, headers }),
      SESSION,
    );
    const theirs = await sdkSigner.sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: HOST,
        path,
        query: { size: '0', filter_path: 'hits.total' },
        headers,
        body,
      },
      { signingDate: new Date('2026-01-02T03:04:05Z') },
    );

    // Assess
    const signature = (authorization: unknown) => String(authorization).split('Signature=')[1];
    expect(signature(ours.headers.Authorization)).toBe(signature(theirs.headers.authorization));
  });
});

describe('sigv4-signer inside opensearch-js', () => {
  it('signs the requests the SigV4 connection builds, as aws4 does', () => {
    // Prepare: the project's connection options (opensearch-connection.ts) over OpenSearch Service.
    const options = openSearchConnection({ endpoint: `https://${HOST}`, auth: 'sigv4', region: 'eu-west-1' });
    const Connection = options.Connection as unknown as new (options: {
      url: URL;
    }) => {
      buildRequestObject(params: object): SignableRequest;
    };
    const connection = new Connection({ url: new URL(`https://${HOST}`) });
    const params = {
      method: 'POST',
      path: '/events-acc1-*,events-acc2-*/_search',
      querystring: 'size=0&filter_path=aggregations',
      body: '{"aggs":{}}',
      headers: { 'content-type': 'application/json', 'x-amz-date': AMZ_DATE },
      auth: { credentials: SESSION, region: 'eu-west-1', service: 'es' },
    };
    const expected = connection.buildRequestObject(structuredClone(params));
    const signWithAws4 = vi.spyOn(realAws4, 'sign').mockImplementation(sign as typeof realAws4.sign);

    // Act
    const signed = connection.buildRequestObject(structuredClone(params));
    const calls = signWithAws4.mock.calls.length;
    signWithAws4.mockRestore();

    // Assess
    expect(calls).toBe(1);
    expect(signed.headers?.Authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/eu-west-1\/es\//,
    );
    expect([signed.path, signed.headers]).toEqual([expected.path, expected.headers]);
  });
});
