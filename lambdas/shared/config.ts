/**
 * Configuration read once per process, at cold start, from the variables named in `env-names.ts`.
 * A missing variable fails the cold start with a message naming it, rather than failing later deep
 * inside a request.
 */

import { ANY_ORIGIN, parseAllowedOrigins } from './cors.js';
import { ENV, TUNING_ENV } from './env-names.js';
import {
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_PAST_MS,
  MAX_BACKFILL_HORIZON_MS,
  MAX_BATCH_EVENTS,
  MAX_CLOCK_SKEW_MS,
  type TimestampBounds,
} from './event-limits.js';

type Env = Record<string, string | undefined>;

/** Returns the variable's value, or throws `"<NAME> environment variable is not set"`. */
export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`${name} environment variable is not set`);
  }
  return value;
}

/** Returns the variable's value, or `fallback` when it is unset or empty. */
export function optionalEnv(name: string, fallback: string, env: Env = process.env): string {
  const value = env[name];
  return value === undefined || value.trim() === '' ? fallback : value;
}

function positiveSeconds(name: string, fallbackMs: number, env: Env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallbackMs;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`${name} environment variable must be a non-negative number of seconds, got "${raw}"`);
  }
  return seconds * 1000;
}

function positiveInteger(name: string, fallback: number, env: Env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} environment variable must be a whole number of at least 1, got "${raw}"`);
  }
  return value;
}

export interface IngestConfig {
  streamName: string;
  /** The table each key's event admission state lives in (`lambdas/ingest/event-admission.ts`). */
  admissionTableName: string;
  /** The event limits of a request whose authorizer named none (it names every key's). */
  defaultEventLimits: EventLimits;
  timestampBounds: TimestampBounds;
  corsOrigins: string[];
}

/**
 * The accepted timestamp range around the receipt time: the backfill horizon in the past (at most 365
 * days, which the rollups' 400-day retention can hold) and the clock skew in the future. One setting
 * for every function that reads it (ingest, rollup writer, stats API).
 */
export function loadTimestampBounds(env: Env = process.env): TimestampBounds {
  const maxPastMs = positiveSeconds(TUNING_ENV.eventMaxPastSeconds, DEFAULT_MAX_PAST_MS, env);
  if (maxPastMs > MAX_BACKFILL_HORIZON_MS) {
    throw new Error(
      `${TUNING_ENV.eventMaxPastSeconds} environment variable must be at most ${MAX_BACKFILL_HORIZON_MS / 1000} seconds (365 days: rollups keep 400 days), got "${env[TUNING_ENV.eventMaxPastSeconds]}"`,
    );
  }
  const maxFutureMs = positiveSeconds(TUNING_ENV.eventMaxFutureSeconds, DEFAULT_MAX_FUTURE_MS, env);
  if (maxFutureMs > MAX_CLOCK_SKEW_MS) {
    throw new Error(
      `${TUNING_ENV.eventMaxFutureSeconds} environment variable must be at most ${MAX_CLOCK_SKEW_MS / 1000} seconds (1 day: no stats window reaches further ahead), got "${env[TUNING_ENV.eventMaxFutureSeconds]}"`,
    );
  }
  return { maxPastMs, maxFutureMs };
}

/** The origins browser pages may call the REST API from (`*` unless set). */
export function loadCorsOrigins(env: Env = process.env): string[] {
  const name = TUNING_ENV.corsAllowedOrigins;
  return parseAllowedOrigins(optionalEnv(name, ANY_ORIGIN, env), `${name} environment variable`);
}

/** Config of the ingest function. */
export function loadIngestConfig(env: Env = process.env): IngestConfig {
  return {
    streamName: requireEnv(ENV.eventsStreamName, env),
    admissionTableName: requireEnv(ENV.admissionTableName, env),
    defaultEventLimits: loadDefaultEventLimits(env),
    timestampBounds: loadTimestampBounds(env),
    corsOrigins: loadCorsOrigins(env),
  };
}

/** Requests per second and burst of one key. */
export interface RateLimits {
  rateLimit: number;
  burstLimit: number;
}

/** Limits of a key that has none of its own: 50 requests per second, bursts of 100. */
export const DEFAULT_KEY_LIMITS: RateLimits = { rateLimit: 50, burstLimit: 100 };

/**
 * Events per second and burst of one key, counted by ingest across every execution environment: a
 * request's limit counts requests of 1 event and of 500 alike, so it cannot keep one key from filling
 * the stream that every account shares.
 */
export interface EventLimits {
  eventRateLimit: number;
  eventBurstLimit: number;
}

/**
 * Event limits of a key that has none of its own: 500 events per second, bursts of 1,000 (two full
 * requests): half of what one shard of the stream takes, so one key alone never fills the default
 * stream.
 */
export const DEFAULT_KEY_EVENT_LIMITS: EventLimits = { eventRateLimit: 500, eventBurstLimit: 1000 };

/** Every limit a key has: requests (API Gateway's usage plan) and events (ingest's admission). */
export type KeyLimits = RateLimits & EventLimits;

/** The default limits of keys, and how long a looked-up key is trusted (revocation latency). */
export interface ApiKeyConfig {
  apiKeysTableName: string;
  defaultLimits: KeyLimits;
  cacheTtlMs: number;
}

/** Config of the API authorizer. */
export function loadApiKeyConfig(env: Env = process.env): ApiKeyConfig {
  return {
    apiKeysTableName: requireEnv(ENV.apiKeysTableName, env),
    defaultLimits: {
      rateLimit: positiveInteger(TUNING_ENV.keyRateLimit, DEFAULT_KEY_LIMITS.rateLimit, env),
      burstLimit: positiveInteger(TUNING_ENV.keyBurstLimit, DEFAULT_KEY_LIMITS.burstLimit, env),
      ...loadDefaultEventLimits(env),
    },
    cacheTtlMs: loadKeyCacheTtlMs(env),
  };
}

/**
 * The event limits of keys without their own. The burst is at least a full request (500 events), or
 * every full request of such a key would be refused.
 */
export function loadDefaultEventLimits(env: Env = process.env): EventLimits {
  const eventRateLimit = positiveInteger(
    TUNING_ENV.keyEventRateLimit,
    DEFAULT_KEY_EVENT_LIMITS.eventRateLimit,
    env,
  );
  const eventBurstLimit = positiveInteger(
    TUNING_ENV.keyEventBurstLimit,
    DEFAULT_KEY_EVENT_LIMITS.eventBurstLimit,
    env,
  );
  if (eventBurstLimit < MAX_BATCH_EVENTS) {
    throw new Error(
      `${TUNING_ENV.keyEventBurstLimit} environment variable must be at least ${MAX_BATCH_EVENTS} (the events of one full request), got "${env[TUNING_ENV.keyEventBurstLimit]}"`,
    );
  }
  return { eventRateLimit, eventBurstLimit };
}

/** How long a looked-up key is trusted, in milliseconds (default 60 s). */
export function loadKeyCacheTtlMs(env: Env = process.env): number {
  return positiveSeconds(TUNING_ENV.apiKeyCacheSeconds, DEFAULT_KEY_CACHE_TTL_MS, env);
}

/** A revoked key works for at most this long in a warm function. */
export const DEFAULT_KEY_CACHE_TTL_MS = 60_000;

export type OpenSearchAuth = 'sigv4' | 'none';

export interface OpenSearchConfig {
  endpoint: string;
  auth: OpenSearchAuth;
  /** Region to sign for; only required with SigV4. */
  region: string | undefined;
}

/** Where OpenSearch is and how to authenticate to it. */
export function loadOpenSearchConfig(env: Env = process.env): OpenSearchConfig {
  const endpoint = requireEnv(ENV.opensearchEndpoint, env);
  const auth = optionalEnv(ENV.opensearchAuth, 'sigv4', env);
  if (auth !== 'sigv4' && auth !== 'none') {
    throw new Error(`${ENV.opensearchAuth} environment variable must be "sigv4" or "none", got "${auth}"`);
  }
  return { endpoint, auth, region: auth === 'sigv4' ? requireEnv('AWS_REGION', env) : env.AWS_REGION };
}

export interface IndexerConfig {
  opensearch: OpenSearchConfig;
  indexPrefix: string;
  deadLetterQueueUrl: string;
}

/** Config of the indexer function. */
export function loadIndexerConfig(env: Env = process.env): IndexerConfig {
  return {
    opensearch: loadOpenSearchConfig(env),
    indexPrefix: optionalEnv(ENV.eventsIndexPrefix, 'events', env),
    deadLetterQueueUrl: requireEnv(ENV.deadLetterQueueUrl, env),
  };
}

export interface RollupWriterConfig {
  rollupsTableName: string;
  deadLetterQueueUrl: string;
}

/** Config of the rollup writer function. */
export function loadRollupWriterConfig(env: Env = process.env): RollupWriterConfig {
  return {
    rollupsTableName: requireEnv(ENV.rollupsTableName, env),
    deadLetterQueueUrl: requireEnv(ENV.deadLetterQueueUrl, env),
  };
}

export interface StatsApiConfig {
  rollupsTableName: string;
  apiKeysTableName: string;
  opensearch: OpenSearchConfig;
  indexPrefix: string;
  timestampBounds: TimestampBounds;
  corsOrigins: string[];
  keyCacheTtlMs: number;
  cursorSigningKey: Buffer;
}

/** The shortest cursor-signing key accepted: 32 bytes, the HMAC-SHA256 block's half. */
export const MIN_CURSOR_SIGNING_KEY_LENGTH = 32;

/** Config of the stats API function. */
export function loadStatsApiConfig(env: Env = process.env): StatsApiConfig {
  return {
    rollupsTableName: requireEnv(ENV.rollupsTableName, env),
    apiKeysTableName: requireEnv(ENV.apiKeysTableName, env),
    opensearch: loadOpenSearchConfig(env),
    indexPrefix: optionalEnv(ENV.eventsIndexPrefix, 'events', env),
    timestampBounds: loadTimestampBounds(env),
    corsOrigins: loadCorsOrigins(env),
    keyCacheTtlMs: loadKeyCacheTtlMs(env),
    cursorSigningKey: loadCursorSigningKey(env),
  };
}

/** The event-search cursor key; a short one would make cursors forgeable, so it fails the cold start. */
function loadCursorSigningKey(env: Env): Buffer {
  const key = requireEnv(ENV.cursorSigningKey, env);
  if (key.length < MIN_CURSOR_SIGNING_KEY_LENGTH) {
    throw new Error(
      `${ENV.cursorSigningKey} environment variable must be at least ${MIN_CURSOR_SIGNING_KEY_LENGTH} characters`,
    );
  }
  return Buffer.from(key, 'utf8');
}

/** Name of the connections table (every WebSocket function). */
export function loadConnectionsTableName(env: Env = process.env): string {
  return requireEnv(ENV.connectionsTableName, env);
}

/** Name of the api keys table. */
export function loadApiKeysTableName(env: Env = process.env): string {
  return requireEnv(ENV.apiKeysTableName, env);
}

/** The WebSocket @connections endpoint, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
export function loadWebSocketManagementEndpoint(env: Env = process.env): string {
  return requireEnv(ENV.websocketManagementEndpoint, env);
}

/** Name of the live tokens table (the stats API issues tokens, `$connect` checks them). */
export function loadLiveTokensTableName(env: Env = process.env): string {
  return requireEnv(ENV.liveTokensTableName, env);
}
