/**
 * A local API Gateway REST API with Lambda proxy integrations: turns HTTP requests into v1 proxy
 * events, invokes the route's function and maps its proxy result back, with API Gateway's answers where
 * the function is not reached or misbehaves (403 for unknown routes, 502 for errors and malformed
 * results, 504 after the 29 s integration timeout, 413 over the 10 MB payload quota).
 *
 * References: "Set up Lambda proxy integrations in API Gateway" (input and output formats) and
 * "Amazon API Gateway quotas" in the API Gateway developer guide.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionId, RestRoute } from '../../lib/topology.js';
import type { LocalFunction } from '../runtime/function-host.js';
import {
  headerMaps,
  LOCAL_ACCOUNT_ID,
  newExtendedRequestId,
  newRequestId,
  queryMaps,
  readBody,
  requestTime,
  sourceIp,
} from './http-event.js';

/** API Gateway's REST payload quota. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's default (and, for REST, usual maximum) integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

export interface RestGatewayOptions {
  port: number;
  host?: string;
  routes: RestRoute[];
  functions: Partial<Record<FunctionId, LocalFunction>>;
  stage: string;
  /** Id in `requestContext.apiId`; default `local`. */
  apiId?: string;
  /** Override of the 29 s integration timeout, for tests. */
  integrationTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RestGateway {
  /** `http://host:port`, routes below it without the stage (`/v1/events`). */
  url: string;
  close(): Promise<void>;
}

interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
  /** Literal segments: the more, the more specific, which API Gateway prefers. */
  literals: number;
}

/**
 * Starts the gateway on `host:port` (port 0 picks a free one). Paths are matched without the stage
 * prefix; a request that does carry `/<stage>` (as a deployed URL does) is accepted too.
 */
export async function startRestGateway(options: RestGatewayOptions): Promise<RestGateway> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const log = options.log ?? (() => undefined);
  const routes = options.routes.map(compileRoute).sort((a, b) => b.literals - a.literals);

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`[rest-gateway] ${request.method} ${request.url} failed: ${String(error)}`);
      if (!response.headersSent) send(response, 500, { message: 'Internal server error' }, newRequestId());
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const stagePrefix = `/${options.stage}`;
    let path = url.pathname;
    if (path === stagePrefix || path.startsWith(`${stagePrefix}/`))
      path = path.slice(stagePrefix.length) || '/';
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);

    const matches = routes.flatMap((compiled) => {
      const match = compiled.pattern.exec(path);
      return match ? [{ compiled, match }] : [];
    });
    const found = matches.find(({ compiled }) => compiled.route.method === request.method);
    if (!found) {
      // API Gateway answers an unknown resource, and a method a resource does not have, this way.
      request.resume();
      send(response, 403, { message: 'Missing Authentication Token' }, requestId, {
        'x-amzn-ErrorType': 'MissingAuthenticationTokenException',
      });
      return;
    }

    const body = await readBody(request, MAX_REQUEST_BYTES);
    if (body === 'too-large') {
      send(response, 413, { message: 'Request Too Long' }, requestId);
      return;
    }

    const { compiled, match } = found;
    const fn = options.functions[compiled.route.functionId];
    if (!fn) {
      log(`[rest-gateway] no function ${compiled.route.functionId} for ${compiled.route.path}`);
      sendInternalError(response, requestId);
      return;
    }

    const event = proxyEvent({
      request,
      url,
      path,
      body,
      requestId,
      route: compiled.route,
      pathParameters: Object.fromEntries(
        compiled.names.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')]),
      ),
      stage: options.stage,
      apiId: options.apiId ?? 'local',
      host: request.headers.host ?? host,
    });

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([fn.invoke(event), timedOut]).finally(() => clearTimeout(timer));
    if (result === 'timeout') {
      send(response, 504, { message: 'Endpoint request timed out' }, requestId, {
        'x-amzn-ErrorType': 'InternalServerErrorException',
      });
      return;
    }
    if (result.status === 'error') {
      log(`[rest-gateway] ${compiled.route.functionId} failed: ${result.errorType}: ${result.errorMessage}`);
      sendInternalError(response, requestId);
      return;
    }
    const mapped = mapProxyResult(result.payload);
    if ('malformed' in mapped) {
      log(
        `[rest-gateway] Malformed Lambda proxy response from ${compiled.route.functionId}: ${mapped.malformed}`,
      );
      sendInternalError(response, requestId);
      return;
    }
    response.statusCode = mapped.statusCode;
    for (const [name, values] of Object.entries(mapped.headers)) response.setHeader(name, values);
    if (!hasHeader(mapped.headers, 'content-type')) response.setHeader('Content-Type', 'application/json');
    response.setHeader('x-amzn-RequestId', requestId);
    response.setHeader('Content-Length', mapped.body.length);
    response.end(mapped.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function compileRoute(route: RestRoute): CompiledRoute {
  const names: string[] = [];
  let literals = 0;
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{([^}+]+)(\+)?\}$/.exec(segment);
      if (!param) {
        literals += 1;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(param[1] as string);
      // `{proxy+}` is greedy across segments; `{name}` is one segment.
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names, literals };
}

/** Content types API Gateway passes as text; anything else arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded'
  );
}

interface ProxyEventInput {
  request: IncomingMessage;
  url: URL;
  path: string;
  body: Buffer;
  requestId: string;
  route: RestRoute;
  pathParameters: Record<string, string>;
  stage: string;
  apiId: string;
  host: string;
}

/** The v1 (REST) proxy event, shaped like `APIGatewayProxyEvent` from @types/aws-lambda. */
function proxyEvent(input: ProxyEventInput) {
  const { request, url, path, body, requestId, route, stage, apiId } = input;
  const now = new Date();
  const { headers, multiValueHeaders } = headerMaps(request);
  const binary = !isTextContentType(request.headers['content-type']);
  return {
    resource: route.path,
    path,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    ...queryMaps(url.searchParams),
    pathParameters: Object.keys(input.pathParameters).length > 0 ? input.pathParameters : null,
    stageVariables: null,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId,
      resourceId: route.path,
      resourcePath: route.path,
      httpMethod: route.method,
      path: `/${stage}${path}`,
      stage,
      protocol: `HTTP/${request.httpVersion}`,
      domainName: input.host,
      domainPrefix: input.host.split('.')[0] ?? input.host,
      requestId,
      extendedRequestId: newExtendedRequestId(),
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      authorizer: null,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: sourceIp(request),
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: body.length > 0 && binary,
  };
}

type MappedResult =
  | { statusCode: number; headers: Record<string, string[]>; body: Buffer }
  | { malformed: string };

/**
 * Validates and maps a proxy result. API Gateway merges `headers` and `multiValueHeaders`, and where
 * both name a header only the multi-value list is kept; a body that is not a string is malformed.
 */
export function mapProxyResult(payload: unknown): MappedResult {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { malformed: 'the result is not an object' };
  }
  const result = payload as Record<string, unknown>;
  const statusCode = typeof result.statusCode === 'string' ? Number(result.statusCode) : result.statusCode;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return { malformed: `statusCode ${JSON.stringify(result.statusCode)} is not an HTTP status` };
  }
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') {
    return { malformed: 'body is not a string' };
  }
  const headers: Record<string, string[]> = {};
  if (result.headers !== undefined && result.headers !== null) {
    if (typeof result.headers !== 'object') return { malformed: 'headers is not an object' };
    for (const [name, value] of Object.entries(result.headers)) headers[name.toLowerCase()] = [String(value)];
  }
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null) {
    if (typeof result.multiValueHeaders !== 'object')
      return { malformed: 'multiValueHeaders is not an object' };
    for (const [name, values] of Object.entries(result.multiValueHeaders)) {
      if (!Array.isArray(values)) return { malformed: `multiValueHeaders.${name} is not a list` };
      headers[name.toLowerCase()] = values.map(String);
    }
  }
  const text = (result.body as string | null | undefined) ?? '';
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode, headers, body };
}

function hasHeader(headers: Record<string, string[]>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

function sendInternalError(response: ServerResponse, requestId: string): void {
  send(response, 502, { message: 'Internal server error' }, requestId, {
    'x-amzn-ErrorType': 'InternalServerErrorException',
  });
}

function send(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId,
    ...headers,
  });
  response.end(text);
}
