/**
 * Pieces of the API Gateway proxy event that the REST and WebSocket gateways build the same way:
 * headers as the client sent them, query strings, request ids and times.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';

export interface HeaderMaps {
  /** Last value of each header, names as the client spelled them (API Gateway keeps the case). */
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
}

/** Headers in the two shapes of the v1 proxy event, from the raw (case-preserving) header list. */
export function headerMaps(request: IncomingMessage): HeaderMaps {
  const raw = request.rawHeaders;
  const pairs: [string, string][] = [];
  for (let index = 0; index + 1 < raw.length; index += 2) {
    pairs.push([raw[index] as string, raw[index + 1] as string]);
  }
  const { single, multi } = singleAndMultiValue(pairs);
  return { headers: single, multiValueHeaders: multi };
}

/**
 * The last value and every value of each name. Built in Maps: a client's names become object keys
 * only through `Object.fromEntries`, so `__proto__` or `constructor` is an entry like any other
 * (`object[name] = …` would set the prototype, and `object[name] ?? []` read Object.prototype's).
 */
function singleAndMultiValue(pairs: Iterable<[string, string]>): {
  single: Record<string, string>;
  multi: Record<string, string[]>;
} {
  const multi = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const values = multi.get(name);
    if (values) values.push(value);
    else multi.set(name, [value]);
  }
  return {
    single: Object.fromEntries(
      [...multi].map(([name, values]) => [name, values[values.length - 1] as string]),
    ),
    multi: Object.fromEntries(multi),
  };
}

export interface QueryMaps {
  /** `null` without a query string, as API Gateway sends it. */
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
}

/** Decoded query parameters; the single-value map keeps the last value of a repeated key, like API Gateway. */
export function queryMaps(search: URLSearchParams): QueryMaps {
  const { single, multi } = singleAndMultiValue(search);
  if (Object.keys(single).length === 0) {
    return { queryStringParameters: null, multiValueQueryStringParameters: null };
  }
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

/** `requestContext.requestTime` format: `21/Nov/2026:09:30:00 +0000`. */
export function requestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/**
 * The request's URL, or undefined when it cannot be parsed (the gateways answer 400). A path is read as
 * a path: resolved against a base, `//evil.example/v1/events` would be a host and the path `/v1/events`,
 * a route API Gateway would never find there.
 */
export function requestUrl(request: Pick<IncomingMessage, 'url'>): URL | undefined {
  const target = request.url ?? '/';
  try {
    return target.startsWith('/')
      ? new URL(`http://localhost${target}`)
      : new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

/** A request id in API Gateway's UUID form. */
export function newRequestId(): string {
  return randomUUID();
}

/** An `extendedRequestId`-like id (base64, as API Gateway prints it). */
export function newExtendedRequestId(): string {
  return randomBytes(6).toString('base64');
}

/** The client address without the IPv4-mapped IPv6 prefix. */
export function sourceIp(request: IncomingMessage): string {
  return (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/**
 * Reads a request body up to `limit` bytes; beyond it the rest is drained and `too-large` returned, so
 * the gateway can answer 413 as API Gateway does.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      request.resume();
      return 'too-large';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The `clientError` handler of a gateway's server: a request Node could not parse (headers over its
 * `maxHeaderSize`, which the gateways keep, or not HTTP) is answered as the gateway answers its other
 * errors, with a JSON `{"message"}` naming the limit and the CORS headers of `corsHeaders` (a page can
 * read the reason), and logged, since such a request reaches no other handler. Its `Origin`, if the
 * part Node read holds one, is passed to `corsHeaders`.
 */
export function answerClientError(
  log: (line: string) => void,
  corsHeaders?: (origin: string | undefined) => Record<string, string>,
) {
  return (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void => {
    // A client that hung up is no error of the gateway's.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = JSON.stringify({
      message: tooLarge
        ? `Request Header Fields Too Large: the request line and headers are over ${maxHeaderSize} bytes`
        : 'Bad Request: the request is not valid HTTP/1.1',
    });
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      ...corsHeaders?.(originOf(error.rawPacket)),
      'x-amzn-RequestId': newRequestId(),
      Connection: 'close',
    };
    log(`unparsable HTTP request (${error.code ?? error.message}): answered ${status}`);
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.end(`HTTP/1.1 ${status}\r\n${head.join('')}\r\n${body}`);
  };
}

/** The `Origin` header in the raw bytes of a request, if they hold a well-formed one. */
function originOf(rawPacket: Buffer | undefined): string | undefined {
  const found = /(?:^|\r\n)origin:[ \t]*([^\r\n]*?)[ \t]*\r\n/i.exec(rawPacket?.toString('latin1') ?? '');
  const origin = found?.[1];
  // Written back into a response header: visible ASCII only.
  return origin !== undefined && /^[\x21-\x7e]{1,2048}$/.test(origin) ? origin : undefined;
}
