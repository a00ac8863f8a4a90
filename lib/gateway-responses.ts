/**
 * The answers API Gateway itself gives on the REST API (the function never saw the request), as the
 * stack configures them (`lib/constructs/events-rest-api.ts`) and the local gateway gives them
 * (`local/gateway/rest-gateway.ts`). No aws-cdk-lib import: `local/` loads this file.
 *
 * Every one carries the CORS headers, or a browser would hide it from the page as a network error:
 * `Access-Control-Allow-Origin` is `*`, or with a list of allowed origins the request's own `Origin`
 * (a gateway response can map a request header, not choose between values; these answers carry no
 * account's data). Two are ours rather than API Gateway's defaults:
 * - a request whose key is missing, unknown or revoked is denied by the authorizer: 401, saying where a
 *   key goes (API Gateway's own would be a 403 "explicit deny"); so is a key whose API Gateway API key
 *   is gone (revoked a moment ago: API Gateway's own would be a 403 "Forbidden");
 * - a key over its usage plan's rate or burst: 429 with `Retry-After` and the `X-RateLimit-*` headers.
 *   Rates are whole requests per second, so one second always brings a token back: `Retry-After: 1`
 *   and `X-RateLimit-Reset: 1` are exact bounds; `X-RateLimit-Limit` is the key's rate, from the
 *   authorizer's context;
 * - a key the authorizer could not check (it throws only when the key store fails, or it timed out
 *   waiting for it): 503 with `Retry-After`, saying nothing of the request was done, so a client sends
 *   it again; API Gateway's own would be a bare 500, which clients need not retry.
 */
import { CORS_EXPOSE_HEADERS } from '../lambdas/shared/cors.js';

/** The response types the stack customizes, with what API Gateway answers for each. */
export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'THROTTLED'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_API_KEY'
  | 'REQUEST_TOO_LARGE'
  | 'BAD_REQUEST_PARAMETERS'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

export interface GatewayResponse {
  statusCode: number;
  /** The `message` of the JSON body. */
  message: string;
  /** Static headers beyond the CORS ones. */
  headers?: Record<string, string>;
}

/** Where a client puts its key (or, to read, its live token), for the 401's message. */
const KEY_PLACES =
  'in the x-api-key header, or in the key query parameter (browsers: navigator.sendBeacon); to read, a live token in the x-live-token header also works';

/** The authorizer failed (the key store did not answer): nothing was written, resend in a moment. */
const KEY_NOT_CHECKED: GatewayResponse = {
  statusCode: 503,
  message:
    'Service Unavailable: the API key could not be checked (the key store did not answer), so nothing of this request was done: send it again (the same events, the same event_id) after the Retry-After seconds',
  headers: { 'Retry-After': '1' },
};

/** Every gateway answer the local gateway gives, by type; the stack configures the customized ones. */
export const GATEWAY_RESPONSES: Record<GatewayResponseType, GatewayResponse> = {
  UNAUTHORIZED: { statusCode: 401, message: 'Unauthorized' },
  ACCESS_DENIED: {
    statusCode: 401,
    message: `missing, unknown or revoked API key or live token: send a key ${KEY_PLACES}`,
  },
  THROTTLED: {
    statusCode: 429,
    // API Gateway answers THROTTLED for the stage's limit (all keys together) too, not only a key's.
    message:
      "Too Many Requests: over this API key's rate limit (X-RateLimit-Limit requests per second) or the API's overall limit; retry after the Retry-After seconds",
    headers: { 'Retry-After': '1', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1' },
  },
  MISSING_AUTHENTICATION_TOKEN: { statusCode: 403, message: 'Missing Authentication Token' },
  // The usage identifier names no API key of the stage: on a deployed stage, a key `keys revoke`
  // deleted while a function's key cache still allowed it (up to a minute), which API Gateway would
  // answer 403 "Forbidden"; said as the authorizer's deny says it.
  INVALID_API_KEY: {
    statusCode: 401,
    message: `unknown or revoked API key: send a key ${KEY_PLACES}`,
  },
  REQUEST_TOO_LARGE: { statusCode: 413, message: 'Request Too Long' },
  BAD_REQUEST_PARAMETERS: { statusCode: 400, message: 'Bad request parameters' },
  AUTHORIZER_FAILURE: KEY_NOT_CHECKED,
  // The authorizer unreachable or answering no policy: documented apart, the same answer.
  AUTHORIZER_CONFIGURATION_ERROR: KEY_NOT_CHECKED,
  INTEGRATION_FAILURE: { statusCode: 502, message: 'Internal server error' },
  INTEGRATION_TIMEOUT: { statusCode: 504, message: 'Endpoint request timed out' },
  DEFAULT_4XX: { statusCode: 400, message: 'Bad request' },
  DEFAULT_5XX: { statusCode: 500, message: 'Internal server error' },
};

/** The types the stack configures itself; the others keep API Gateway's status and message. */
export const CUSTOMIZED_GATEWAY_RESPONSES = [
  'ACCESS_DENIED',
  'INVALID_API_KEY',
  'THROTTLED',
  'AUTHORIZER_FAILURE',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'DEFAULT_4XX',
  'DEFAULT_5XX',
] as const;

/** The authorizer context key holding the key's rate, mapped into the 429's `X-RateLimit-Limit`. */
export const RATE_LIMIT_CONTEXT_KEY = 'rateLimit';

/**
 * The CORS headers of a gateway answer to a request from `origin`: `*`, or the request's origin when
 * the API allows a list (none without an `Origin` header, as API Gateway maps a missing header).
 */
export function gatewayCorsHeaders(
  allowedOrigins: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  if (allowedOrigins.includes('*')) {
    return {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS.join(','),
    };
  }
  return {
    Vary: 'Origin',
    ...(origin ? { 'Access-Control-Allow-Origin': origin } : {}),
    'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS.join(','),
  };
}
