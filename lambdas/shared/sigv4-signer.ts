/**
 * Stands in for `aws4` in the function bundles (an esbuild alias: `BUNDLING.alias` in lib/topology.ts).
 * Its one caller there is opensearch-js's SigV4 connection (`AwsSigv4Signer`, used by
 * opensearch-connection.ts), which signs each request synchronously while building it:
 * `aws4.sign(request, credentials)`, with the request's service and region set and its body's SHA-256
 * in `x-amz-content-sha256`. The SDK's own signer (`@smithy/signature-v4`) is asynchronous, so it
 * cannot serve there. This is Signature Version 4 in headers, for services other than S3, on
 * `node:crypto`; it mutates and returns the request as aws4 does (the headers it adds, `Authorization`,
 * and the `path` with its query string in canonical encoding), so either signs a request the same.
 * What opensearch-js never asks for (S3, query-string presigning, a service or region read off the
 * host name) is refused with an error rather than signed differently.
 */
import { createHash, createHmac } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';

export interface SignableRequest {
  service?: string;
  region?: string;
  method?: string;
  hostname?: string;
  host?: string;
  port?: string | number;
  /** The path with its query string, as sent. */
  path?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  signQuery?: boolean;
}

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** Headers a proxy or client may change in flight, so they are never signed (as aws4 and the SDKs do). */
const UNSIGNED_HEADERS = new Set([
  'authorization',
  'connection',
  'expect',
  'presigned-expires',
  'range',
  'user-agent',
  'x-amzn-trace-id',
]);

/** Characters that make aws4 re-encode the whole path (anything a URI cannot carry as is). */
const NOT_URI_SAFE = /[^0-9A-Za-z;,/?:@&=+$\-_.!~*'()#%]/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4's UriEncode: everything but the unreserved characters `A-Z a-z 0-9 - _ . ~`, as UTF-8. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The header's name as present in any letter case, if it is. */
function headerName(headers: Record<string, unknown>, lowerCaseName: string): string | undefined {
  return Object.keys(headers).find((name) => name.toLowerCase() === lowerCaseName);
}

/** Signs `request` in place and returns it; credentials default to the AWS_* environment variables. */
export function sign<R extends SignableRequest>(
  request: R,
  credentials?: SigningCredentials | null,
): R & { headers: Record<string, string | number>; path: string } {
  const { service, region } = request;
  if (!service || !region || service === 's3' || request.signQuery) {
    throw new Error(
      'sigv4-signer signs requests that name their service (not s3) and region, in headers: see lambdas/shared/sigv4-signer.ts',
    );
  }
  const { accessKeyId, secretAccessKey, sessionToken } = credentials ?? environmentCredentials();
  if (!request.method && request.body) request.method = 'POST';
  const headers = addSignedHeaders(request, sessionToken);

  const amzDate = String(headers[headerName(headers, 'x-amz-date') ?? '']);
  const scope = `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
  const { path, query } = splitPath(request.path || '/');
  const { names, lines } = canonicalHeaders(headers);
  const canonicalRequest = [
    request.method || 'GET',
    canonicalPath(path),
    [...(query ?? [])].sort(byKeyThenValue).map(joinPair).join('&'),
    `${lines}\n`,
    names,
    headers[headerName(headers, 'x-amz-content-sha256') ?? ''] ?? sha256(request.body ?? ''),
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const signingKey = [amzDate.slice(0, 8), region, service, 'aws4_request'].reduce<string | Buffer>(
    hmac,
    `AWS4${secretAccessKey}`,
  );
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');

  headers.Authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names}, Signature=${signature}`;
  request.path = query === undefined ? path : `${path}?${query.map(joinPair).join('&')}`;
  return request as R & { headers: Record<string, string | number>; path: string };
}

function environmentCredentials(): SigningCredentials {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = process.env;
  if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) {
    throw new Error('AWS_ACCESS_KEY_ID environment variable is not set (no credentials to sign with)');
  }
  return {
    accessKeyId: AWS_ACCESS_KEY_ID,
    secretAccessKey: AWS_SECRET_ACCESS_KEY,
    sessionToken: AWS_SESSION_TOKEN,
  };
}

/** A copy of the request's headers, with the ones SigV4 signs added when absent; no Authorization. */
function addSignedHeaders(request: SignableRequest, sessionToken: string | undefined) {
  const headers = { ...request.headers };
  request.headers = headers;
  const has = (name: string) => headerName(headers, name) !== undefined;
  if (!has('host')) {
    const host = request.hostname || request.host;
    if (!host) throw new Error('sigv4-signer: the request names no host');
    headers.Host = request.port ? `${host}:${request.port}` : host;
  }
  if (request.body && !has('content-type')) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded; charset=utf-8';
  }
  if (request.body && !has('content-length')) headers['Content-Length'] = Buffer.byteLength(request.body);
  if (sessionToken && !has('x-amz-security-token')) headers['X-Amz-Security-Token'] = sessionToken;
  if (!has('x-amz-date')) headers['X-Amz-Date'] = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization') delete headers[name];
  }
  return headers;
}

type Pair = [key: string, value: string];

/**
 * The path and its query's pairs, both URI-encoded as sent: pairs in the order of their keys' first
 * appearance (as `node:querystring` groups them), without those of an empty key, `+` read as a space.
 */
function splitPath(rawPath: string): { path: string; query: Pair[] | undefined } {
  const uriPath = NOT_URI_SAFE.test(rawPath) ? encodeURI(decodeURI(rawPath)) : rawPath;
  const mark = uriPath.indexOf('?');
  if (mark < 0) return { path: uriPath, query: undefined };
  // maxKeys 0: every pair, where the default of 1,000 would drop the rest from what is sent.
  const parsed = parseQueryString(uriPath.slice(mark + 1), '&', '=', { maxKeys: 0 });
  const query = Object.entries(parsed).flatMap(([key, values]) =>
    key === '' ? [] : [values ?? ''].flat().map((value): Pair => [uriEncode(key), uriEncode(value)]),
  );
  return { path: uriPath.slice(0, mark), query };
}

const joinPair = ([key, value]: Pair) => `${key}=${value}`;

function byKeyThenValue([keyA, valueA]: Pair, [keyB, valueB]: Pair): number {
  if (keyA !== keyB) return keyA < keyB ? -1 : 1;
  return valueA < valueB ? -1 : valueA > valueB ? 1 : 0;
}

/**
 * SigV4's canonical path for services other than S3: empty, `.` and `..` segments resolved, then each
 * segment URI-encoded again (the path is already encoded once, as sent).
 */
function canonicalPath(path: string): string {
  if (path === '/') return path;
  const segments: string[] = [];
  for (const segment of path.replace(/\/{2,}/g, '/').split('/')) {
    if (segment === '..') segments.pop();
    else if (segment !== '.') segments.push(uriEncode(segment));
  }
  const joined = segments.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

/** The signed headers' lower-case names, sorted, and their `name:value` lines, spaces folded. */
function canonicalHeaders(headers: Record<string, string | number>) {
  const entries = Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase(), String(value).trim().replace(/\s+/g, ' ')] as const)
    .filter(([name]) => !UNSIGNED_HEADERS.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    names: entries.map(([name]) => name).join(';'),
    lines: entries.map(([name, value]) => `${name}:${value}`).join('\n'),
  };
}
