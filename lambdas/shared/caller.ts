/**
 * Who is calling the REST API, between the API authorizer and the functions behind it. The authorizer
 * finds the key (`requestApiKey`), looks it up and answers with the caller (`callerContext`); API
 * Gateway hands that to the function as `requestContext.authorizer`, which reads it back with
 * `callerOf`. A client cannot forge it: API Gateway builds the request context.
 */
import type { ApiKeyRecord, ApiKeyScope } from './api-keys.js';
import type { EventLimits, KeyLimits } from './config.js';
import { ForbiddenError, headerValue, UnauthorizedError } from './http.js';

/** Where a client puts its key: the header, or for a browser beacon (no headers) the query string. */
export const API_KEY_HEADER = 'x-api-key';
export const API_KEY_QUERY_PARAMETER = 'key';

/**
 * The key of a request: the `x-api-key` header, else the `key` query parameter. An empty header holds
 * no key (a client library's default), so the query's key counts then; when both hold one, the header's
 * decides, and the usage identifier is the same key's.
 */
export function requestApiKey(
  headers: Record<string, string | undefined> | null | undefined,
  query: Record<string, string | undefined> | null | undefined,
): string | undefined {
  const header = headerValue(headers, API_KEY_HEADER);
  const key = header === undefined || header === '' ? query?.[API_KEY_QUERY_PARAMETER] : header;
  return key === undefined || key === '' ? undefined : key;
}

/** What the caller showed the authorizer: its key, or a live token standing for its read key. */
export type CallerCredential = 'api-key' | 'live-token';

/** The authorizer's `context`: flat strings and numbers, as API Gateway requires. */
export interface CallerContext {
  accountId: string;
  scope: ApiKeyScope;
  credential: CallerCredential;
  keyId: string;
  /** The key's limits (its own, or the defaults): the 429 answer names them. */
  rateLimit: number;
  burstLimit: number;
  /** The key's event limits (its own, or the defaults): ingest admits events by them. */
  eventRateLimit: number;
  eventBurstLimit: number;
}

/** The context the authorizer answers for a key's record. */
export function callerContext(
  record: ApiKeyRecord,
  defaults: KeyLimits,
  credential: CallerCredential = 'api-key',
): CallerContext {
  return {
    accountId: record.accountId,
    scope: record.scope,
    credential,
    keyId: record.keyId ?? 'unnamed',
    rateLimit: record.rateLimit ?? defaults.rateLimit,
    burstLimit: record.burstLimit ?? defaults.burstLimit,
    eventRateLimit: record.eventRateLimit ?? defaults.eventRateLimit,
    eventBurstLimit: record.eventBurstLimit ?? defaults.eventBurstLimit,
  };
}

/**
 * The event limits the authorizer named (API Gateway hands context numbers over as text), or
 * `undefined` when it named none.
 */
export function callerEventLimits(
  authorizer: Record<string, unknown> | null | undefined,
): EventLimits | undefined {
  const eventRateLimit = Number(authorizer?.eventRateLimit);
  const eventBurstLimit = Number(authorizer?.eventBurstLimit);
  return eventRateLimit >= 1 && eventBurstLimit >= 1 ? { eventRateLimit, eventBurstLimit } : undefined;
}

/**
 * The caller of a request, from `requestContext.authorizer`. A request without it did not pass the
 * authorizer (an API deployed without one): refused, never served as anyone.
 */
export function callerOf(authorizer: Record<string, unknown> | null | undefined): ApiKeyRecord {
  const accountId = authorizer?.accountId;
  const scope = authorizer?.scope;
  if (typeof accountId !== 'string' || accountId === '' || (scope !== 'write' && scope !== 'read')) {
    throw new UnauthorizedError('missing API key: the request did not pass the API authorizer');
  }
  return { accountId, scope, ...(typeof authorizer?.keyId === 'string' ? { keyId: authorizer.keyId } : {}) };
}

/**
 * The caller of `POST /v1/events`: a key's. A live token stands for its read key only to read: it
 * travels in WebSocket URLs and sits in a page's storage, so one that leaked must not write events.
 */
export function posterOf(authorizer: Record<string, unknown> | null | undefined): ApiKeyRecord {
  if (authorizer?.credential === 'live-token') {
    throw new ForbiddenError(
      'a live token may only read: post events with a key (x-api-key header, or ?key= for navigator.sendBeacon)',
    );
  }
  return callerOf(authorizer);
}
