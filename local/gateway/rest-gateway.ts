/**
 * A local API Gateway REST API with Lambda proxy integrations: finds the route (`rest-routes.ts`),
 * builds the proxy event and maps the result back (`proxy-integration.ts`), and answers as API Gateway
 * does where the function is not reached or misbehaves: 403 for unknown routes, 400 for a malformed
 * path, 502 for function errors and malformed results, 504 after the 29 s integration timeout, 413 over
 * the 10 MB payload quota. Every such answer is logged with its reason.
 *
 * Reference: "Amazon API Gateway quotas" in the API Gateway developer guide.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionId, RestRoute } from '../../lib/topology.js';
import type { LocalFunction } from '../runtime/function-host.js';
import { answerClientError, newRequestId, readBody, requestUrl } from './http-event.js';
import { hasHeader, mapProxyResult, proxyEvent } from './proxy-integration.js';
import { pathBelowStage, RestRoutes } from './rest-routes.js';

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
  /** The gateway's own log: failed integrations, malformed results, its own errors. */
  log?: (line: string) => void;
}

export interface RestGateway {
  /** `http://host:port`, routes below it without the stage (`/v1/events`). */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the gateway on `host:port` (port 0 picks a free one). Paths are matched without the stage
 * prefix; a request that does carry `/<stage>` (as a deployed URL does) is accepted too.
 */
export async function startRestGateway(options: RestGatewayOptions): Promise<RestGateway> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const log = options.log ?? (() => undefined);
  const routes = new RestRoutes(options.routes);

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`${request.method} ${request.url} failed: ${describe(error)}`);
      if (!response.headersSent) send(response, 500, { message: 'Internal server error' }, newRequestId());
    });
  });
  server.on('clientError', answerClientError(log));

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const url = requestUrl(request);
    if (!url) {
      request.resume();
      send(response, 400, { message: 'Malformed request URL' }, requestId);
      return;
    }
    const path = pathBelowStage(url.pathname, options.stage);
    const match = routes.match(request.method, path);
    if (match.kind === 'malformed') {
      request.resume();
      send(response, 400, { message: match.message }, requestId, {
        'x-amzn-ErrorType': 'BadRequestException',
      });
      return;
    }
    if (match.kind === 'not-found') {
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

    const { route } = match;
    const fn = options.functions[route.functionId];
    if (!fn) {
      log(`no function ${route.functionId} for ${route.path}`);
      sendInternalError(response, requestId);
      return;
    }

    const event = proxyEvent({
      request,
      url,
      path,
      body,
      requestId,
      route,
      pathParameters: match.pathParameters,
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
      log(`${requestId} ${route.functionId}: integration timed out after ${timeoutMs} ms`);
      send(response, 504, { message: 'Endpoint request timed out' }, requestId, {
        'x-amzn-ErrorType': 'InternalServerErrorException',
      });
      return;
    }
    if (result.status === 'error') {
      log(`${requestId} ${route.functionId} failed: ${result.errorType}: ${result.errorMessage}`);
      sendInternalError(response, requestId);
      return;
    }
    const mapped = mapProxyResult(result.payload);
    if ('malformed' in mapped) {
      log(`${requestId} Malformed Lambda proxy response from ${route.functionId}: ${mapped.malformed}`);
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
  server.on('error', (error) => log(`server error: ${describe(error)}`));
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

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
