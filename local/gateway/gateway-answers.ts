/**
 * The answers the local REST gateway gives itself, as API Gateway gives them: the gateway responses of
 * `lib/gateway-responses.ts` (JSON `{"message": …}`, their headers and the CORS headers, so a page sees
 * a 401 or a 429 rather than a network error), and the CORS preflight that the stack's OPTIONS methods
 * answer (a mock integration, before any authorizer).
 */
import type { ServerResponse } from 'node:http';
import { corsPreflightHeaders } from '../../lambdas/shared/cors.js';
import {
  GATEWAY_RESPONSES,
  type GatewayResponseType,
  gatewayCorsHeaders,
} from '../../lib/gateway-responses.js';

/** API Gateway's `x-amzn-ErrorType` of the answers that carry one. */
const ERROR_TYPES: Partial<Record<GatewayResponseType, string>> = {
  MISSING_AUTHENTICATION_TOKEN: 'MissingAuthenticationTokenException',
  BAD_REQUEST_PARAMETERS: 'BadRequestException',
  ACCESS_DENIED: 'AccessDeniedException',
  UNAUTHORIZED: 'UnauthorizedException',
  INVALID_API_KEY: 'ForbiddenException',
  THROTTLED: 'TooManyRequestsException',
  AUTHORIZER_FAILURE: 'AuthorizerConfigurationException',
  INTEGRATION_FAILURE: 'InternalServerErrorException',
  INTEGRATION_TIMEOUT: 'InternalServerErrorException',
};

export interface AnswerContext {
  requestId: string;
  corsOrigins: readonly string[];
  /** The request's `Origin` header. */
  origin: string | undefined;
}

/** Sends the gateway response of `type`; `message` replaces the default one where API Gateway's varies. */
export function sendGatewayResponse(
  response: ServerResponse,
  type: GatewayResponseType,
  context: AnswerContext,
  options: { message?: string; headers?: Record<string, string> } = {},
): void {
  const definition = GATEWAY_RESPONSES[type];
  const errorType = ERROR_TYPES[type];
  send(response, definition.statusCode, JSON.stringify({ message: options.message ?? definition.message }), {
    ...gatewayCorsHeaders(context.corsOrigins, context.origin),
    ...definition.headers,
    ...options.headers,
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
    'x-amzn-RequestId': context.requestId,
  });
}

/** Answers a CORS preflight: 204 with the allowed methods, headers and origin, and no body. */
export function sendPreflight(response: ServerResponse, context: AnswerContext): void {
  response.writeHead(204, {
    ...corsPreflightHeaders(context.corsOrigins, context.origin),
    'Content-Length': 0,
    'x-amzn-RequestId': context.requestId,
  });
  response.end();
}

function send(
  response: ServerResponse,
  statusCode: number,
  text: string,
  headers: Record<string, string>,
): void {
  response.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
