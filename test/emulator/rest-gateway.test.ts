import { request } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { RestRoute } from '../../lib/topology.js';
import { type RestGateway, startRestGateway } from '../../local/gateway/rest-gateway.js';
import { type FakeFunction, FunctionError, fakeFunction } from './fixtures/fake-function.js';

const routes: RestRoute[] = [
  { method: 'POST', path: '/v1/events', functionId: 'ingest', apiKey: false },
  { method: 'GET', path: '/v1/accounts/{accountId}/summary', functionId: 'stats-api', apiKey: false },
];

let gateway: RestGateway | undefined;
let gatewayLog: string[] = [];

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  gatewayLog = [];
});

async function given(
  ingest: (event: unknown) => unknown,
  stats: (event: unknown) => unknown = () => ({ statusCode: 200, body: '{}' }),
  integrationTimeoutMs?: number,
): Promise<{ url: string; ingest: FakeFunction; stats: FakeFunction }> {
  const functions = { ingest: fakeFunction('ingest', ingest), 'stats-api': fakeFunction('stats-api', stats) };
  gateway = await startRestGateway({
    port: 0,
    routes,
    functions,
    stage: 'prod',
    // An API with one binary type: JSON stays text here (the stack's `*/*` is tested in rest-gateway-keys).
    binaryMediaTypes: ['application/octet-stream'],
    ...(integrationTimeoutMs ? { integrationTimeoutMs } : {}),
    log: (line) => gatewayLog.push(line),
  });
  return { url: gateway.url, ingest: functions.ingest, stats: functions['stats-api'] };
}

describe('startRestGateway', () => {
  it('builds a v1 proxy event from the request', async () => {
    // Prepare
    const { url, stats } = await given(() => null);

    // Act
    await fetch(`${url}/v1/accounts/acc%2D1/summary?window=last_24h&tag=a&tag=b`, {
      headers: { 'User-Agent': 'test-agent', 'X-Custom': 'one' },
    });

    // Assess
    const event = stats.events[0] as APIGatewayProxyEvent;
    expect(event).toMatchObject({
      resource: '/v1/accounts/{accountId}/summary',
      path: '/v1/accounts/acc%2D1/summary',
      httpMethod: 'GET',
      queryStringParameters: { window: 'last_24h', tag: 'b' },
      multiValueQueryStringParameters: { window: ['last_24h'], tag: ['a', 'b'] },
      pathParameters: { accountId: 'acc-1' },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        resourcePath: '/v1/accounts/{accountId}/summary',
        httpMethod: 'GET',
        path: '/prod/v1/accounts/acc%2D1/summary',
        stage: 'prod',
        identity: { sourceIp: '127.0.0.1', userAgent: 'test-agent' },
      },
    });
    expect(event.headers['X-Custom']).toBe('one');
    expect(event.multiValueHeaders['X-Custom']).toEqual(['one']);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.requestTimeEpoch).toBeGreaterThan(0);
  });

  it('passes query parameters and headers named __proto__ or constructor as entries like any other', async () => {
    // Prepare
    const { url, stats } = await given(() => ({ statusCode: 200, body: '{}' }));
    const { port } = new URL(url);

    // Act: headers through node:http, since an object literal cannot name a __proto__ header (JSON can).
    const viaQuery = await fetch(`${url}/v1/accounts/a/summary?__proto__=x&constructor=y&constructor=z`);
    const viaHeaders = await new Promise<number>((resolve, reject) => {
      const sent = request(
        { host: '127.0.0.1', port, path: '/v1/accounts/a/summary', headers: JSON.parse('{"__proto__":"p"}') },
        (response) => resolve(response.resume().statusCode ?? 0),
      );
      sent.on('error', reject);
      sent.setHeader('constructor', 'c');
      sent.end();
    });

    // Assess
    expect([viaQuery.status, viaHeaders]).toEqual([200, 200]);
    const [queried, headed] = stats.events as APIGatewayProxyEvent[];
    expect(Object.entries(queried?.queryStringParameters ?? {})).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'z'],
    ]);
    expect(Object.entries(queried?.multiValueQueryStringParameters ?? {})).toEqual([
      ['__proto__', ['x']],
      ['constructor', ['y', 'z']],
    ]);
    expect(Object.entries(headed?.headers ?? {})).toEqual(
      expect.arrayContaining([
        ['__proto__', 'p'],
        ['constructor', 'c'],
      ]),
    );
    expect(Object.getPrototypeOf(headed?.multiValueHeaders)).toBe(Object.prototype);
    expect(Object.hasOwn(headed?.multiValueHeaders ?? {}, '__proto__')).toBe(true);
  });

  it('passes JSON bodies as text and binary bodies base64-encoded', async () => {
    // Prepare
    const { url, ingest } = await given(() => ({ statusCode: 202, body: '' }));

    // Act
    await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"page_view"}',
    });
    await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0xff, 0x00, 0x01]),
    });

    // Assess
    const [json, binary] = ingest.events as APIGatewayProxyEvent[];
    expect(json).toMatchObject({ body: '{"type":"page_view"}', isBase64Encoded: false });
    expect(binary).toMatchObject({
      body: Buffer.from([0xff, 0x00, 0x01]).toString('base64'),
      isBase64Encoded: true,
    });
  });

  it('maps the proxy result to the response, merging multi-value headers', async () => {
    // Prepare
    const { url } = await given(() => ({
      statusCode: 202,
      headers: { 'Content-Type': 'application/json', 'X-One': 'a' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
      body: '{"accepted":1}',
    }));

    // Act
    const response = await fetch(`${url}/v1/events`, { method: 'POST', body: '{}' });

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers.get('x-one')).toBe('a');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-amzn-requestid')).toBeTruthy();
    expect(await response.json()).toEqual({ accepted: 1 });
  });

  it('decodes a base64-encoded result body', async () => {
    // Prepare
    const { url } = await given(() => ({
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from('raw bytes').toString('base64'),
      isBase64Encoded: true,
    }));

    // Act
    const response = await fetch(`${url}/v1/events`, { method: 'POST' });

    // Assess
    expect(Buffer.from(await response.arrayBuffer()).toString()).toBe('raw bytes');
  });

  it('also serves the routes below the stage, as a deployed URL does', async () => {
    // Prepare
    const { url } = await given(() => ({ statusCode: 202, body: 'ok' }));

    // Act
    const response = await fetch(`${url}/prod/v1/events`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(202);
  });

  it.each([
    ['a function error', () => Promise.reject(new FunctionError('TypeError', 'x is undefined'))],
    ['a result without statusCode', () => ({ body: 'hi' })],
    ['a body that is not a string', () => ({ statusCode: 200, body: { a: 1 } })],
    ['a result that is not an object', () => 'ok'],
  ])('answers 502 Internal server error on %s', async (_label, implementation) => {
    // Prepare
    const { url } = await given(implementation);

    // Act
    const response = await fetch(`${url}/v1/events`, { method: 'POST', body: '{}' });

    // Assess
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });

  it.each([
    ['an unknown path', 'GET', '/v1/nothing'],
    ['a method the resource does not have', 'GET', '/v1/events'],
  ])('answers 403 Missing Authentication Token on %s', async (_label, method, path) => {
    // Prepare
    const { url, ingest } = await given(() => ({ statusCode: 200 }));

    // Act
    const response = await fetch(`${url}${path}`, { method });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(ingest.events).toHaveLength(0);
  });

  it('answers 504 when the integration times out', async () => {
    // Prepare
    const { url } = await given(() => new Promise(() => undefined), undefined, 100);

    // Act
    const response = await fetch(`${url}/v1/events`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ message: 'Endpoint request timed out' });
  });

  it('tells an invocation its caller gave up when the integration times out', async () => {
    // Prepare
    const { url, ingest } = await given(() => new Promise(() => undefined), undefined, 100);

    // Act
    await fetch(`${url}/v1/events`, { method: 'POST' });

    // Assess
    expect(ingest.signals[0]?.aborted).toBe(true);
  });

  it('tells an invocation its caller gave up when the client leaves before the answer', async () => {
    // Prepare
    let invoked: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (invoked = resolve));
    const { url, ingest } = await given(() => {
      invoked();
      return new Promise(() => undefined);
    });
    const client = new AbortController();

    // Act
    const answer = fetch(`${url}/v1/events`, { method: 'POST', signal: client.signal }).catch(() => 'gone');
    await started;
    client.abort();
    await answer;
    await expect.poll(() => ingest.signals[0]?.aborted).toBe(true);

    // Assess
    expect(ingest.signals).toHaveLength(1);
  });

  it('answers 413 to a body over 10 MB without invoking the function', async () => {
    // Prepare
    const { url, ingest } = await given(() => ({ statusCode: 202 }));

    // Act
    const response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      body: Buffer.alloc(10 * 1024 * 1024 + 1),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(ingest.events).toHaveLength(0);
  });

  it("answers 413 without invoking the function when the proxy event would pass Lambda's 6 MB invocation quota", async () => {
    // Prepare: 4.8 MB is under API Gateway's 10 MB, but over 6 MB once base64-encoded in the event.
    const { url, ingest } = await given(() => ({ statusCode: 202 }));

    // Act
    const binary = { 'content-type': 'application/octet-stream' };
    const over = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: binary,
      body: Buffer.alloc(4_800_000),
    });
    const under = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: binary,
      body: Buffer.alloc(4_600_000),
    });

    // Assess
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ message: 'Request Too Long' });
    expect(under.status).toBe(202);
    expect(ingest.events).toHaveLength(1);
  });

  it.each([
    ['a lone %', '/v1/accounts/%/summary', '%'],
    ['a % without two hex digits', '/v1/accounts/%zz/summary', '%zz'],
    ['a truncated escape', '/v1/accounts/acc%2/summary', 'acc%2'],
    ['an escape that is not UTF-8', '/v1/accounts/%C3%28/summary', '%C3%28'],
    ['a malformed stage path', '/prod/v1/accounts/%E0%A4%A/summary', '%E0%A4%A'],
  ])(
    'answers 400 naming the segment to a path with %s, without invoking the function',
    async (_label, path, segment) => {
      // Prepare
      const { url, stats } = await given(() => null);

      // Act
      const response = await fetch(`${url}${path}`);

      // Assess
      expect(response.status).toBe(400);
      const body = (await response.json()) as { message: string };
      expect(body.message).toContain('Malformed percent-encoding');
      expect(body.message).toContain(`"${segment}"`);
      expect(stats.events).toHaveLength(0);
    },
  );

  it('logs why it answered 502, with the request id the client got', async () => {
    // Prepare
    const { url } = await given(() => Promise.reject(new FunctionError('TypeError', 'x is undefined')));

    // Act
    const response = await fetch(`${url}/v1/events`, { method: 'POST', body: '{}' });

    // Assess
    const requestId = response.headers.get('x-amzn-requestid');
    expect(gatewayLog).toEqual([`${requestId} ingest failed: TypeError: x is undefined`]);
  });

  it.each([
    ['any origin', ['*'], '*'],
    ['a list of origins', ['https://app.example.com'], 'https://app.example.com'],
  ])(
    'answers headers over the limit with a JSON 431 naming it, with CORS headers (%s)',
    async (_case, corsOrigins, allowOrigin) => {
      // Prepare
      gateway = await startRestGateway({
        port: 0,
        routes,
        functions: { ingest: fakeFunction('ingest', () => ({ statusCode: 202 })) },
        stage: 'prod',
        corsOrigins,
        log: (line) => gatewayLog.push(line),
      });

      // Act
      const response = await rawPost(`${gateway.url}/v1/events`, {
        Origin: 'https://app.example.com',
        'X-Padding': 'x'.repeat(20_000),
      });

      // Assess
      expect(response.status).toBe(431);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.headers['access-control-allow-origin']).toBe(allowOrigin);
      expect(response.headers['access-control-expose-headers']).toContain('Retry-After');
      expect(JSON.parse(response.body)).toEqual({
        message: 'Request Header Fields Too Large: the request line and headers are over 16384 bytes',
      });
      expect(gatewayLog).toEqual([
        'unparsable HTTP request (HPE_HEADER_OVERFLOW): answered 431 Request Header Fields Too Large',
      ]);
    },
  );
});

/** A POST with `headers`, through node:http (fetch would refuse nothing, but hides raw headers). */
function rawPost(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
