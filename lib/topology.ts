/**
 * The topology of the system as plain data: functions, stream, tables, queues, routes and the
 * event source mapping settings. The CDK stacks build AWS resources from it and the local stack
 * (`local/`) builds its emulated resources from it, so the two cannot drift apart silently
 * (`test/cdk/local-parity.test.ts` compares the synthesized template with what `local/` runs).
 *
 * No aws-cdk-lib import here on purpose: `local/` loads this file without the CDK.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV, TUNING_ENV } from '../lambdas/shared/env-names.js';
import { LIVE_TOKENS_ROUTE, STATS_ROUTES } from '../lambdas/stats/routes.js';

/**
 * The repository root: function entries are relative to it, the CDK bundles from it (its lock file) and
 * the local stack keeps its data under it (`.local/`).
 */
export const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

export type FunctionId =
  | 'api-authorizer'
  | 'ingest'
  | 'indexer'
  | 'rollup-writer'
  | 'stats-api'
  | 'ws-connect'
  | 'ws-disconnect'
  | 'ws-default'
  | 'ws-broadcast';

export interface FunctionDefinition {
  id: FunctionId;
  description: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  /** Name of the exported handler in the entry file. */
  handler: string;
  memorySizeMb: number;
  timeoutSeconds: number;
}

/** Lambda runtime of every function; local runs on the machine's Node (20+), bundled for this target. */
export const LAMBDA_RUNTIME = { name: 'nodejs22.x', esbuildTarget: 'node22' } as const;

/**
 * esbuild options shared by NodejsFunction and the local bundler, so the local stack runs the code
 * Lambda runs. The AWS SDK is bundled rather than taken from the runtime so the version is pinned by
 * package-lock.json everywhere.
 *
 * Packages are bundled from their ES builds where they have one (`mainFields`): esbuild drops what a
 * function does not reference only from ES modules, never from CommonJS. The SDK's credential chain is
 * replaced by the environment provider Lambda needs (`alias`, see lambdas/shared/lambda-credentials.ts),
 * and a few libraries by smaller stand-ins that do what their callers need of them.
 * Together they keep every bundle under 300 KB (docs/decisions.md, "Bundles").
 */
/** The most a function's bundle may weigh (issue 8): its size bounds the cold start's module load. */
export const BUNDLE_LIMIT_BYTES = 300 * 1024;

export const BUNDLING = {
  format: 'cjs',
  target: LAMBDA_RUNTIME.esbuildTarget,
  minify: true,
  sourceMap: true,
  externalModules: [] as string[],
  mainFields: ['module', 'main'],
  alias: {
    '@aws-sdk/credential-provider-node': join(REPO_ROOT, 'lambdas/shared/lambda-credentials.ts'),
    '@smithy/core/event-streams': join(REPO_ROOT, 'lambdas/shared/no-event-streams.ts'),
    '@smithy/core/checksum': join(REPO_ROOT, 'lambdas/shared/node-checksums.ts'),
    'mnemonist/lru-cache': join(REPO_ROOT, 'lambdas/shared/lru-cache.ts'),
    aws4: join(REPO_ROOT, 'lambdas/shared/sigv4-signer.ts'),
    debug: join(REPO_ROOT, 'lambdas/shared/debug.cts'),
    ms: join(REPO_ROOT, 'lambdas/shared/ms.cts'),
  },
} as const;

export const FUNCTIONS: Record<FunctionId, FunctionDefinition> = {
  'api-authorizer': {
    id: 'api-authorizer',
    description: 'Authorizes REST API requests by their API key and names the key to its usage plan',
    entry: 'lambdas/api-authorizer/handler.ts',
    handler: 'handler',
    memorySizeMb: 256,
    timeoutSeconds: 5,
  },
  ingest: {
    id: 'ingest',
    description: 'Validates POSTed events and puts them on the Kinesis stream',
    entry: 'lambdas/ingest/handler.ts',
    handler: 'handler',
    memorySizeMb: 512,
    timeoutSeconds: 10,
  },
  indexer: {
    id: 'indexer',
    description: 'Bulk-indexes stream records into OpenSearch, reporting partial batch failures',
    entry: 'lambdas/indexer/handler.ts',
    handler: 'handler',
    memorySizeMb: 512,
    timeoutSeconds: 60,
  },
  'rollup-writer': {
    id: 'rollup-writer',
    description: 'Applies stream records to the per-account DynamoDB rollups exactly once',
    entry: 'lambdas/stats/rollup-writer.ts',
    handler: 'handler',
    memorySizeMb: 512,
    timeoutSeconds: 60,
  },
  'stats-api': {
    id: 'stats-api',
    description:
      'Serves per-account summaries and timeseries from the rollups, event search, health and live tokens',
    entry: 'lambdas/stats/handler.ts',
    handler: 'handler',
    memorySizeMb: 256,
    timeoutSeconds: 10,
  },
  'ws-connect': {
    id: 'ws-connect',
    description: 'Authorizes a WebSocket $connect with a live token and records the connection',
    entry: 'lambdas/ws-broadcast/connect.ts',
    handler: 'handler',
    memorySizeMb: 256,
    timeoutSeconds: 10,
  },
  'ws-disconnect': {
    id: 'ws-disconnect',
    description: 'Removes a WebSocket connection on $disconnect',
    entry: 'lambdas/ws-broadcast/disconnect.ts',
    handler: 'handler',
    memorySizeMb: 256,
    timeoutSeconds: 10,
  },
  'ws-default': {
    id: 'ws-default',
    description: 'Handles WebSocket messages (subscribe to event types and users, ping)',
    entry: 'lambdas/ws-broadcast/default.ts',
    handler: 'handler',
    memorySizeMb: 256,
    timeoutSeconds: 10,
  },
  'ws-broadcast': {
    id: 'ws-broadcast',
    description: 'Pushes stream records to the WebSocket connections of their account',
    entry: 'lambdas/ws-broadcast/broadcast.ts',
    handler: 'handler',
    memorySizeMb: 512,
    timeoutSeconds: 30,
  },
};

/**
 * Seven days of retention: a durable consumer waits out an outage instead of dropping records (see
 * STREAM_MAPPINGS), and whatever is still discarded after `DURABLE_MAX_RECORD_AGE_SECONDS` stays
 * readable for a day more, so the redrive tool can re-read it by sequence number.
 */
export const EVENT_STREAM = {
  id: 'events',
  shardCount: 1,
  retentionHours: 7 * 24,
} as const;

/**
 * How old a record may get while a durable consumer keeps retrying it: the stream's retention less one
 * day, the window in which a discarded batch (its on-failure record names the shard and sequence
 * numbers) can still be re-read from the stream and redriven.
 */
export const DURABLE_MAX_RECORD_AGE_SECONDS = (EVENT_STREAM.retentionHours - 24) * 3600;

export type AttributeType = 'S' | 'N';
export interface KeyAttribute {
  name: string;
  type: AttributeType;
}
export interface TableDefinition {
  id: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  timeToLiveAttribute?: string;
  globalSecondaryIndexes?: { indexName: string; partitionKey: KeyAttribute; sortKey?: KeyAttribute }[];
}

export const TABLES = {
  /**
   * Hashed API keys: `keyHash` (sha256 hex of the key) -> `{ keyId, accountId, scope, limits… }`; the
   * item model is `lambdas/shared/api-keys.ts`. Written by the CLI only.
   */
  apiKeys: {
    id: 'api-keys',
    partitionKey: { name: 'keyHash', type: 'S' },
  },
  /** Accounts: `accountId` -> `{ name, createdAt }` (`lambdas/shared/accounts.ts`). Written by the CLI only. */
  accounts: {
    id: 'accounts',
    partitionKey: { name: 'accountId', type: 'S' },
  },
  /** Per-account rollups and their dedupe markers; the key layout lives in `lambdas/stats/rollup-model.ts`. */
  rollups: {
    id: 'rollups',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
  },
  /** Live WebSocket connections, expiring by TTL, queried per account by the broadcaster. */
  connections: {
    id: 'connections',
    partitionKey: { name: 'connectionId', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
    globalSecondaryIndexes: [{ indexName: 'by-account', partitionKey: { name: 'accountId', type: 'S' } }],
  },
  /**
   * Hashed live tokens: `tokenHash` -> `{ accountId, expiresAt, sessionExpiresAt }`, expiring by TTL;
   * the entity is `lambdas/shared/live-tokens.ts`.
   */
  liveTokens: {
    id: 'live-tokens',
    partitionKey: { name: 'tokenHash', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
  },
  /**
   * Per-key event admission: `keyId` -> `{ tat, expiresAt }`, the key's theoretical arrival time (GCRA,
   * `lambdas/ingest/event-admission.ts`), expiring by TTL once the key is idle. Written by ingest only.
   */
  admission: {
    id: 'admission',
    partitionKey: { name: 'keyId', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;

export const QUEUES = {
  /**
   * Dead letters: events a function gave up on, with their payload and reason, and the on-failure
   * records of the stream mappings (which carry only batch metadata).
   */
  deadLetter: { id: 'dead-letter', retentionDays: 14 },
} as const;

export const OPENSEARCH = {
  /** Time-based indices `events-YYYY.MM.DD`, written through this prefix. */
  eventsIndexPrefix: 'events',
  engineVersion: '2.19',
} as const;

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

/** Settings of one Kinesis event source mapping, named after the CloudFormation properties. */
export interface StreamMappingDefinition {
  functionId: FunctionId;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  startingPosition: StartingPosition;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** Always true: every consumer reports partial batch failures. */
  reportBatchItemFailures: true;
  parallelizationFactor: number;
}

/**
 * One mapping per consumer, so an OpenSearch outage holds back only the indexer while rollups and
 * live push carry on.
 *
 * The durable consumers (indexer, rollup writer) dead-letter what can never succeed for an event
 * themselves, with its payload; what reaches the mapping as a failure is the infrastructure failing.
 * So they retry without a count limit (-1): an outage makes the shard wait (the iterator-age alarm shows
 * it) rather than discard a batch to the on-failure queue with metadata only.
 */
export const STREAM_MAPPINGS: StreamMappingDefinition[] = [
  {
    functionId: 'indexer',
    batchSize: 500,
    maximumBatchingWindowInSeconds: 1,
    startingPosition: 'TRIM_HORIZON',
    maximumRetryAttempts: -1,
    maximumRecordAgeInSeconds: DURABLE_MAX_RECORD_AGE_SECONDS,
    bisectBatchOnFunctionError: true,
    reportBatchItemFailures: true,
    parallelizationFactor: 1,
  },
  {
    functionId: 'rollup-writer',
    batchSize: 500,
    maximumBatchingWindowInSeconds: 1,
    startingPosition: 'TRIM_HORIZON',
    maximumRetryAttempts: -1,
    maximumRecordAgeInSeconds: DURABLE_MAX_RECORD_AGE_SECONDS,
    bisectBatchOnFunctionError: true,
    reportBatchItemFailures: true,
    parallelizationFactor: 1,
  },
  {
    // Live push is worthless when stale: few retries, short record age, start at the tip.
    functionId: 'ws-broadcast',
    batchSize: 100,
    maximumBatchingWindowInSeconds: 0,
    startingPosition: 'LATEST',
    maximumRetryAttempts: 2,
    maximumRecordAgeInSeconds: 300,
    bisectBatchOnFunctionError: true,
    reportBatchItemFailures: true,
    parallelizationFactor: 1,
  },
];

export interface RestRoute {
  method: 'GET' | 'POST';
  /** API Gateway resource path with `{param}` placeholders. */
  path: string;
  functionId: FunctionId;
  /**
   * The route needs an API key (or a live token, which stands for one): `REST_API.authorizer` runs
   * before the function, and the key's usage plan throttles it. Only the health check is open.
   */
  apiKey: boolean;
}

export const REST_ROUTES: RestRoute[] = [
  { method: 'POST', path: '/v1/events', functionId: 'ingest', apiKey: true },
  ...Object.values(STATS_ROUTES).map((path) => ({
    method: 'GET' as const,
    path,
    functionId: 'stats-api' as const,
    // The authorizer takes a read key or a live token (`x-live-token`, what the dashboard reads with),
    // and names the key's usage plan, so one account's reads never throttle another's; the stats
    // function then checks scope and account (docs/decisions.md, "Per-key rate limits").
    apiKey: path !== STATS_ROUTES.health,
  })),
  // A read key, or a live token to renew, for a live token: authorized and throttled the same way.
  { method: 'POST', path: LIVE_TOKENS_ROUTE, functionId: 'stats-api', apiKey: true },
];

/**
 * How the REST API treats requests before any function, deployed (lib/constructs/events-rest-api.ts)
 * and local (local/gateway/rest-gateway.ts) alike:
 * - every body is binary (`*\/*`), so it reaches the function base64-encoded as received: gzip bodies
 *   intact, and invalid UTF-8 refused by ingest rather than replaced by API Gateway;
 * - a Lambda REQUEST authorizer finds the key (header or query string) and names its usage identifier;
 *   its results are not cached, since a cached authorizer needs all of its identity sources present
 *   (docs/decisions.md, "Per-key rate limits").
 */
export const REST_API = {
  binaryMediaTypes: ['*/*'],
  authorizer: { functionId: 'api-authorizer' as FunctionId, resultsCacheTtlSeconds: 0 },
} as const;

export const WEBSOCKET_ROUTES: {
  routeKey: '$connect' | '$disconnect' | '$default';
  functionId: FunctionId;
}[] = [
  { routeKey: '$connect', functionId: 'ws-connect' },
  { routeKey: '$disconnect', functionId: 'ws-disconnect' },
  { routeKey: '$default', functionId: 'ws-default' },
];

/** The API settings functions read from their environment (lib/stacks/pipeline-settings.ts names them). */
export interface ApiSettings {
  /** Origins browsers may call the REST API from: `['*']` or a list. */
  corsAllowedOrigins: readonly string[];
  /** Requests per second and burst of keys that have no limits of their own. */
  keyRateLimit: number;
  keyBurstLimit: number;
  /** Events per second, and burst, of keys that have no event limits of their own. */
  keyEventRateLimit: number;
  keyEventBurstLimit: number;
  /** Seconds a function trusts a key it looked up: the longest a revoked key keeps working. */
  apiKeyCacheSeconds: number;
  /**
   * How far in the past and ahead an event's `timestamp` may lie, in seconds; when absent, the
   * functions' own defaults (90 days, 1 hour).
   */
  eventMaxPastSeconds?: number;
  eventMaxFutureSeconds?: number;
}

/**
 * The functions that check or rely on an event's timestamp bounds: ingest admits by them, the stream
 * consumers re-check them on decode, the stats API reads windows up to the skew ahead of now. They must
 * all read the same bounds: a consumer with a narrower skew than ingest would dead-letter what ingest
 * admitted.
 */
export const TIMESTAMP_BOUND_FUNCTIONS: FunctionId[] = [
  'ingest',
  'indexer',
  'rollup-writer',
  'ws-broadcast',
  'stats-api',
];

/**
 * The functions that look keys up and cache them: the authorizer and the stats API. `$connect` looks
 * them up too but never caches one: a connection it accepts lives two hours.
 */
const KEY_LOOKUP_FUNCTIONS: FunctionId[] = ['api-authorizer', 'stats-api'];

/**
 * The settings variables a function gets, from one table so the stack and the local stack agree: the
 * REST functions answer CORS, the authorizer names the default limits of keys (ingest knows the event
 * limits too), and every function that looks keys up trusts them for the same time.
 */
export function apiSettingsEnv(id: FunctionId, settings: ApiSettings): Record<string, string> {
  const env: Record<string, string> = {};
  if (KEY_LOOKUP_FUNCTIONS.includes(id))
    env[TUNING_ENV.apiKeyCacheSeconds] = String(settings.apiKeyCacheSeconds);
  if (REST_ROUTES.some((route) => route.functionId === id)) {
    env[TUNING_ENV.corsAllowedOrigins] = settings.corsAllowedOrigins.join(',');
  }
  if (id === REST_API.authorizer.functionId) {
    env[TUNING_ENV.keyRateLimit] = String(settings.keyRateLimit);
    env[TUNING_ENV.keyBurstLimit] = String(settings.keyBurstLimit);
  }
  // The authorizer names each key's event limits to ingest; ingest falls back on the same defaults
  // for a request whose authorizer named none.
  if (id === REST_API.authorizer.functionId || id === 'ingest') {
    env[TUNING_ENV.keyEventRateLimit] = String(settings.keyEventRateLimit);
    env[TUNING_ENV.keyEventBurstLimit] = String(settings.keyEventBurstLimit);
  }
  if (TIMESTAMP_BOUND_FUNCTIONS.includes(id)) {
    if (settings.eventMaxPastSeconds !== undefined)
      env[TUNING_ENV.eventMaxPastSeconds] = String(settings.eventMaxPastSeconds);
    if (settings.eventMaxFutureSeconds !== undefined)
      env[TUNING_ENV.eventMaxFutureSeconds] = String(settings.eventMaxFutureSeconds);
  }
  return env;
}

/** Stage of both APIs; local REST routes are served without it, the WebSocket management endpoint with it. */
export const API_STAGE = 'prod';

/** Which resources each function uses, and how: drives both CDK grants and local environment. */
export type Access = 'read' | 'write' | 'readwrite';
export interface FunctionBindings {
  stream?: 'write';
  tables?: Partial<Record<TableKey, Access>>;
  opensearch?: Access;
  deadLetterQueue?: 'send';
  websocketManagement?: boolean;
  /** The key event-search cursors are signed with (`lambdas/stats/cursor-signing.ts`). */
  cursorSigningKey?: boolean;
}

export const FUNCTION_BINDINGS: Record<FunctionId, FunctionBindings> = {
  // Live tokens too: a token stands for the read key that started its session.
  'api-authorizer': { tables: { apiKeys: 'read', liveTokens: 'read' } },
  // Admission: each key's event rate is counted in one table, whichever execution environment serves it.
  ingest: { stream: 'write', tables: { admission: 'readwrite' } },
  indexer: { opensearch: 'write', deadLetterQueue: 'send' },
  'rollup-writer': { tables: { rollups: 'readwrite' }, deadLetterQueue: 'send' },
  // The stats API issues live tokens (the only writer of that table) and accepts them for reads.
  'stats-api': {
    tables: { rollups: 'read', apiKeys: 'read', liveTokens: 'readwrite' },
    opensearch: 'read',
    cursorSigningKey: true,
  },
  // $connect takes live tokens only, never API keys; it reads the keys table to refuse a token whose
  // read key is revoked, and asks @connections whether a full account's connections are still open.
  'ws-connect': {
    tables: { connections: 'readwrite', liveTokens: 'read', apiKeys: 'read' },
    websocketManagement: true,
  },
  'ws-disconnect': { tables: { connections: 'readwrite' } },
  'ws-default': { tables: { connections: 'readwrite' }, websocketManagement: true },
  'ws-broadcast': { tables: { connections: 'readwrite' }, websocketManagement: true },
};

/** The environment variable each binding sets; one table so CDK and local agree. */
export const BINDING_ENV = {
  stream: ENV.eventsStreamName,
  tables: {
    apiKeys: ENV.apiKeysTableName,
    accounts: ENV.accountsTableName,
    rollups: ENV.rollupsTableName,
    connections: ENV.connectionsTableName,
    liveTokens: ENV.liveTokensTableName,
    admission: ENV.admissionTableName,
  } satisfies Record<TableKey, string>,
  opensearch: ENV.opensearchEndpoint,
  deadLetterQueue: ENV.deadLetterQueueUrl,
  websocketManagement: ENV.websocketManagementEndpoint,
  cursorSigningKey: ENV.cursorSigningKey,
} as const;

/**
 * Functions that run only while CloudFormation deploys the stack (custom resource handlers), never on
 * the event path. They live apart from `FUNCTIONS` because the local stack starts every `FUNCTIONS`
 * entry; locally, `local/provision.ts` does their job directly (it applies the same index template).
 */
export type DeployFunctionId = 'index-template-installer';

export interface DeployFunctionDefinition extends Omit<FunctionDefinition, 'id'> {
  id: DeployFunctionId;
}

/** Any function the CDK stack deploys: one that serves events, or one that runs during deployment. */
export type AnyFunctionDefinition = FunctionDefinition | DeployFunctionDefinition;

export const DEPLOY_FUNCTIONS: Record<DeployFunctionId, DeployFunctionDefinition> = {
  'index-template-installer': {
    id: 'index-template-installer',
    description: 'Applies the events index template to OpenSearch on deployment (custom resource)',
    entry: 'lambdas/indexer/template-installer.ts',
    handler: 'handler',
    memorySizeMb: 256,
    // Up to three 30 s attempts by the OpenSearch client (requestTimeout x (1 + maxRetries)), with room to answer.
    timeoutSeconds: 120,
  },
};
