/**
 * The names of the environment variables that carry resource names and endpoints from the
 * infrastructure (CDK stacks, local stack) to the functions. This file is the contract between the two:
 * the stacks set these through grant-and-bind helpers, the functions read them once at cold start
 * through `lambdas/shared/config.ts`.
 */
export const ENV = {
  /** Kinesis stream that ingest writes to. */
  eventsStreamName: 'EVENTS_STREAM_NAME',
  /** DynamoDB table of hashed API keys (key hash -> account, scope). */
  apiKeysTableName: 'API_KEYS_TABLE_NAME',
  /** DynamoDB table of accounts (no function reads it today; named for the bindings' completeness). */
  accountsTableName: 'ACCOUNTS_TABLE_NAME',
  /** DynamoDB table of per-account rollups (and the per-event dedupe markers that fence them). */
  rollupsTableName: 'ROLLUPS_TABLE_NAME',
  /** DynamoDB table of live WebSocket connections (TTL, account index). */
  connectionsTableName: 'CONNECTIONS_TABLE_NAME',
  /** DynamoDB table of hashed live tokens (token hash -> account, expiry), expiring by TTL. */
  liveTokensTableName: 'LIVE_TOKENS_TABLE_NAME',
  /** DynamoDB table of each key's event admission state (GCRA), expiring by TTL; ingest only. */
  admissionTableName: 'ADMISSION_TABLE_NAME',
  /** OpenSearch endpoint, e.g. `https://search-xyz.eu-west-1.es.amazonaws.com` or `http://127.0.0.1:9200`. */
  opensearchEndpoint: 'OPENSEARCH_ENDPOINT',
  /** `sigv4` (default, AWS OpenSearch Service) or `none` (local OpenSearch without the security plugin). */
  opensearchAuth: 'OPENSEARCH_AUTH',
  /** SQS queue that receives dead-lettered events with their payload and reason. */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** `https://{api}.execute-api.{region}.amazonaws.com/{stage}`: the WebSocket @connections endpoint. */
  websocketManagementEndpoint: 'WEBSOCKET_MANAGEMENT_ENDPOINT',
  /** Prefix of the time-based event indices, e.g. `events` -> `events-2026.11.21`. */
  eventsIndexPrefix: 'EVENTS_INDEX_PREFIX',
  /**
   * The stats API's key for signing event-search cursors (HMAC-SHA256), so a caller cannot name a
   * point in time of another account in a cursor: from a Secrets Manager secret in the stack, random per
   * start in the local stack.
   */
  cursorSigningKey: 'CURSOR_SIGNING_KEY',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * Optional tuning variables: every one has a default, so the stacks need not set them. Kept apart from
 * `ENV` because they name no resource and carry no grant.
 */
export const TUNING_ENV = {
  /**
   * How far in the past an event's `timestamp` may lie, in seconds (default 90 days, at most 365): the
   * backfill horizon, read by ingest and by the rollup writer.
   */
  eventMaxPastSeconds: 'EVENT_MAX_PAST_SECONDS',
  /**
   * How far in the future an event's `timestamp` may lie, in seconds (default 1 hour): the accepted
   * clock skew, read by ingest and by the stats API (windows ending now include it).
   */
  eventMaxFutureSeconds: 'EVENT_MAX_FUTURE_SECONDS',
  /**
   * Origins a browser page may call the REST API from: `*` (default) or a comma-separated list, read by
   * the REST functions for their CORS headers (the stack sets it from `corsAllowedOrigins`).
   */
  corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS',
  /**
   * Requests per second, and burst, of a key with no limits of its own (defaults 50 and 100), read by the
   * API authorizer; the stack's default usage plan has the same (`keyRateLimit`, `keyBurstLimit`).
   */
  keyRateLimit: 'KEY_RATE_LIMIT',
  keyBurstLimit: 'KEY_BURST_LIMIT',
  /**
   * Events per second, and burst, of a key with no event limits of its own (defaults 500 and 1,000),
   * read by the API authorizer, which names them to ingest: one key cannot fill the stream that every
   * account shares (`keyEventRateLimit`, `keyEventBurstLimit`).
   */
  keyEventRateLimit: 'KEY_EVENT_RATE_LIMIT',
  keyEventBurstLimit: 'KEY_EVENT_BURST_LIMIT',
  /**
   * How long a function trusts a key it looked up, in seconds (default 60): the longest a revoked key
   * keeps working (the authorizer, the stats API and the WebSocket `$connect`).
   */
  apiKeyCacheSeconds: 'API_KEY_CACHE_SECONDS',
} as const;
