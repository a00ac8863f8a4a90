/**
 * The one wrapper of the API functions' handlers (REST: ingest, stats; WebSocket: connect, default,
 * disconnect), on @middy/core: the Lambda context in every log line (Powertools `injectLambdaContext`;
 * never the event, which carries keys), typed `HttpError`s mapped to their answers and anything else to
 * a logged 500 (`errorResult`), and for REST the CORS headers on every answer, errors included.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { corsResponseHeaders } from './cors.js';
import { errorResult, headerValue } from './http.js';
import { type Log, logger } from './logger.js';

export interface ApiHandlerOptions {
  /** Allowed origins of a REST API (`*` or a list); WebSocket routes have none. */
  corsOrigins?: readonly string[];
  log?: Log;
}

type HeadersOf = { headers?: Record<string, string | undefined> | null };

/**
 * Wraps `handle` (which returns a proxy result or throws) into a Lambda handler with the house
 * middleware.
 */
export function apiHandler<TEvent extends object>(
  handle: (event: TEvent, context: Context) => Promise<APIGatewayProxyResult>,
  options: ApiHandlerOptions = {},
) {
  return middy<TEvent, APIGatewayProxyResult>(handle)
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
