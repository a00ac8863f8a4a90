/**
 * A local API Gateway REST API with Lambda proxy integrations, configured as the stack configures the
 * deployed one (`REST_API` in lib/topology.ts): finds the route (`rest-routes.ts`), answers CORS
 * preflights, runs the REQUEST authorizer and the usage-plan throttle on routes that need a key
 * (`rest-authorization.ts`), builds the proxy event and maps the result back (`proxy-integration.ts`),
 * and answers as API Gateway does where the function is not reached or misbehaves: 403 for unknown
 * routes, 400 for a malformed path, 401 for a missing or unknown key, 429 over a key's limits, 502 for
 * function errors and malformed results, 504 after the 29 s integration timeout, 413 over the 10 MB
 * payload quota or when the proxy event would pass Lambda's 6 MB invocation quota, 431 for headers over
 * Node's 16 KB (`http-event.ts`), each with a JSON body and the CORS headers (`gateway-answers.ts`).
 * Every such answer is logged with its reason; never with a key.
 *
 * Reference: "Amazon API Gateway quotas" in the API Gateway developer guide.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ANY_ORIGIN } from '../../lambdas/shared/cors.js';
import { gatewayCorsHeaders } from '../../lib/gateway-responses.js';
import { type FunctionId, REST_API, type RestRoute } from '../../lib/topology.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../local-aws.js';
import type { LocalFunction } from '../runtime/function-host.js';
import { MAX_INVOCATION_PAYLOAD_BYTES } from '../runtime/worker-protocol.js';
import { methodArn } from './authorizer-integration.js';
import { type AnswerContext, sendGatewayResponse, sendPreflight } from './gateway-answers.js';
import { answerClientError, newRequestId, readBody, requestUrl } from './http-event.js';
import { hasHeader, mapProxyResult, proxyEvent } from './proxy-integration.js';
import { authorizeRequest } from './rest-authorization.js';
import { pathBelowStage, RestRoutes } from './rest-routes.js';
import { UsagePlanThrottle } from './usage-plans.js';

/** API Gateway's REST payload quota. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/**
 * Bodies below this cannot make a proxy event over Lambda's invocation quota (base64 adds a third,
 * headers 10 KB). API Gateway answers an event over it (a body of about 4.5 MB and more) 413 `Request
 * Too Long`, and the function is never invoked.
 */
const SMALL_BODY_BYTES = 4 * 1024 * 1024;
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
  /** Origins browsers may call from (CORS): `*` (default) or a list. */
  corsOrigins?: readonly string[];
  /** Media types handed to functions base64-encoded; default `REST_API.binaryMediaTypes` (all). */
  binaryMediaTypes?: readonly string[];
  /** The REQUEST authorizer of the routes that need an API key; default `REST_API.authorizer`'s. */
  authorizer?: FunctionId;
  /** The clock of the usage-plan throttle, for tests. */
  now?: () => number;
  /** The gateway's own log: failed integrations, malformed results, refusals, its own errors. */
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
  const corsOrigins = options.corsOrigins ?? [ANY_ORIGIN];
  const binaryMediaTypes = options.binaryMediaTypes ?? REST_API.binaryMediaTypes;
  const authorizerId = options.authorizer ?? REST_API.authorizer.functionId;
  const apiId = options.apiId ?? 'local';
  const now = options.now ?? Date.now;
  const throttle = new UsagePlanThrottle();

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`${request.method} ${pathOf(request)} failed: ${describe(error)}`);
      if (!response.headersSent) {
        sendGatewayResponse(response, 'DEFAULT_5XX', answerContext(request, newRequestId()));
      }
    });
  });
  server.on(
    'clientError',
    answerClientError(log, (origin) => gatewayCorsHeaders(corsOrigins, origin)),
  );

  function answerContext(request: IncomingMessage, requestId: string): AnswerContext {
    const origin = request.headers.origin;
    return { requestId, corsOrigins, origin: typeof origin === 'string' ? origin : undefined };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const answer = answerContext(request, requestId);
    // Aborted when the client leaves before its answer or the integration times out: an invocation
    // still waiting for an execution environment then never runs (`LocalFunction.invoke`).
    const abandoned = new AbortController();
    response.once('close', () => abandoned.abort());
    const url = requestUrl(request);
    if (!url) {
      request.resume();
      sendGatewayResponse(response, 'BAD_REQUEST_PARAMETERS', answer, { message: 'Malformed request URL' });
      return;
    }
    const path = pathBelowStage(url.pathname, options.stage);
    const match = routes.match(request.method === 'OPTIONS' ? undefined : request.method, path);
    if (match.kind === 'malformed') {
      request.resume();
      sendGatewayResponse(response, 'BAD_REQUEST_PARAMETERS', answer, { message: match.message });
      return;
    }
    if (request.method === 'OPTIONS' && routes.hasPath(path)) {
      // Every resource has an OPTIONS method with a mock integration: no key, no function.
      request.resume();
      sendPreflight(response, answer);
      return;
    }
    if (match.kind === 'not-found') {
      // API Gateway answers an unknown resource, and a method a resource does not have, this way.
      request.resume();
      sendGatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN', answer);
      return;
    }

    const body = await readBody(request, MAX_REQUEST_BYTES);
    if (body === 'too-large') {
      sendGatewayResponse(response, 'REQUEST_TOO_LARGE', answer);
      return;
    }

    const { route } = match;
    const fn = options.functions[route.functionId];
    if (!fn) {
      log(`no function ${route.functionId} for ${route.path}`);
      sendGatewayResponse(response, 'INTEGRATION_FAILURE', answer);
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
      apiId,
      host: request.headers.host ?? host,
      binaryMediaTypes,
    });

    if (route.apiKey) {
      const authorizer = options.functions[authorizerId];
      if (!authorizer) {
        log(`${requestId} no authorizer function ${authorizerId} for ${route.path}`);
        sendGatewayResponse(response, 'AUTHORIZER_FAILURE', answer);
        return;
      }
      const arn = methodArn({
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT_ID,
        apiId,
        stage: options.stage,
        method: route.method,
        path,
      });
      const authorization = await authorizeRequest({
        authorizer,
        proxyEvent: event,
        methodArn: arn,
        throttle,
        now,
        signal: abandoned.signal,
      });
      if (!authorization.ok) {
        log(
          `${requestId} ${route.method} ${route.path}: ${authorization.type}${authorization.reason ? ` (${authorization.reason})` : ''}`,
        );
        sendGatewayResponse(response, authorization.type, answer, { headers: authorization.headers ?? {} });
        return;
      }
      event.requestContext.authorizer = authorization.authorizer;
      event.requestContext.identity.apiKey = authorization.apiKey;
    }

    if (
      body.length > SMALL_BODY_BYTES &&
      Buffer.byteLength(JSON.stringify(event)) > MAX_INVOCATION_PAYLOAD_BYTES
    ) {
      log(
        `${requestId} ${route.functionId}: proxy event over Lambda's ${MAX_INVOCATION_PAYLOAD_BYTES} byte invocation payload`,
      );
      sendGatewayResponse(response, 'REQUEST_TOO_LARGE', answer);
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([fn.invoke(event, abandoned.signal), timedOut]).finally(() =>
      clearTimeout(timer),
    );
    if (result === 'timeout') {
      abandoned.abort();
      log(`${requestId} ${route.functionId}: integration timed out after ${timeoutMs} ms`);
      sendGatewayResponse(response, 'INTEGRATION_TIMEOUT', answer);
      return;
    }
    if (result.status === 'error') {
      log(`${requestId} ${route.functionId} failed: ${result.errorType}: ${result.errorMessage}`);
      sendGatewayResponse(response, 'INTEGRATION_FAILURE', answer);
      return;
    }
    const mapped = mapProxyResult(result.payload);
    if ('malformed' in mapped) {
      log(`${requestId} Malformed Lambda proxy response from ${route.functionId}: ${mapped.malformed}`);
      sendGatewayResponse(response, 'INTEGRATION_FAILURE', answer);
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

/** The request's path without its query string: a beacon's key is in the query, never logged. */
function pathOf(request: IncomingMessage): string {
  return (request.url ?? '').split('?')[0] ?? '';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
