/**
 * The one wrapper of the API functions' handlers (REST: ingest, stats; WebSocket: connect, default,
 * disconnect), on @middy/core: the Lambda context in every log line (Powertools `injectLambdaContext`;
 * never the event, which carries keys), typed `HttpError`s mapped to their answers and anything else to
 * a logged 500 (`errorResult`), and for REST the CORS headers on every answer, errors included.
 *
 * A handler still waiting on a store that hangs (OpenSearch or DynamoDB paused, a socket that never
 * answers) when the function is about to time out is given up by middy's early timeout, and answered
 * 503 with `Retry-After`: the client should come back, which middy's own `TimeoutError` (a 500) does not
 * say, and Lambda's timeout (a 502 from API Gateway) says even less.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { corsResponseHeaders } from './cors.js';
import { errorResult, headerValue, ServiceUnavailableError } from './http.js';
import { type Log, logger } from './logger.js';

export interface ApiHandlerOptions {
  /** Allowed origins of a REST API (`*` or a list); WebSocket routes have none. */
  corsOrigins?: readonly string[];
  log?: Log;
}

type HeadersOf = { headers?: Record<string, string | undefined> | null };

/** How long before the function's timeout the handler is given up: room to answer. */
export const ANSWER_MARGIN_MS = 250;

/** Thrown by middy when the handler is out of time: answered as a 503 to come back after. */
function outOfTime(): never {
  throw new ServiceUnavailableError(
    'the request did not finish in time (a store it needs did not answer); send it again after the Retry-After seconds',
    1,
  );
}

/**
 * Wraps `handle` (which returns a proxy result or throws) into a Lambda handler with the house
 * middleware.
 */
export function apiHandler<TEvent extends object>(
  handle: (event: TEvent, context: Context) => Promise<APIGatewayProxyResult>,
  options: ApiHandlerOptions = {},
) {
  return middy<TEvent, APIGatewayProxyResult>(handle, {
    timeoutEarlyInMillis: ANSWER_MARGIN_MS,
    timeoutEarlyResponse: outOfTime,
  })
    .use(injectLambdaContext(logger, { logEvent: false }))
    .use(httpAnswers(options));
}

/**
 * Turns an error into its answer and adds the CORS headers to every answer. Runs last on the way out,
 * so nothing after it can lose them.
 */
export function httpAnswers<TEvent extends object>(
  options: ApiHandlerOptions,
): MiddlewareObj<TEvent, APIGatewayProxyResult> {
  const log = options.log ?? logger;
  const withCors = (event: TEvent, response: APIGatewayProxyResult): APIGatewayProxyResult => {
    if (!options.corsOrigins) return response;
    const origin = headerValue((event as HeadersOf).headers, 'origin');
    return {
      ...response,
      headers: { ...response.headers, ...corsResponseHeaders(options.corsOrigins, origin) },
    };
  };
  return {
    after: (request) => {
      if (request.response) request.response = withCors(request.event, request.response);
    },
    onError: (request) => {
      request.response = withCors(request.event, errorResult(request.error, log));
    },
  };
}
