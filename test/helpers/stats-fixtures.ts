/**
 * The stats core's dependencies for unit tests: mocked DynamoDB clients (the tests mock
 * `DynamoDBDocumentClient`), an OpenSearch stub, and read/write keys of two accounts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord } from '../../lambdas/shared/api-keys.js';
import { PitQuota } from '../../lambdas/stats/pit-quota.js';
import type { SearchApi } from '../../lambdas/stats/search-core.js';
import type { StatsDeps } from '../../lambdas/stats/stats-core.js';
import { fakeTiming, silentLog, TEST_CURSOR_KEY } from './factories.js';

/** `rk-1` reads and `wk-1` writes for acct-1; `rk-2` reads for acct-2. */
export const STATS_KEYS: Record<string, ApiKeyRecord> = {
  'rk-1': { accountId: 'acct-1', scope: 'read' },
  'wk-1': { accountId: 'acct-1', scope: 'write' },
  'rk-2': { accountId: 'acct-2', scope: 'read' },
};

const client = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));

/** The dependencies at the clock `now` (epoch ms), with `search` answering searches. */
export function statsDeps(options: {
  now: () => number;
  search?: Partial<SearchApi>;
  /** What the cluster health check reports: green, red, or nothing. */
  clusterStatus?: 'green' | 'red';
  liveTokensTable?: string;
  /** The PIT quota; one per call unless given (a warm function keeps one). */
  pits?: PitQuota;
}): StatsDeps {
  const { now } = options;
  return {
    rollups: {
      dynamo: client(),
      tableName: 'rollups',
      maxFutureMs: 3_600_000,
      now,
      timing: fakeTiming(now()),
    },
    search: {
      search: (options.search ?? {}) as SearchApi,
      indexPrefix: 'events',
      cursorKey: TEST_CURSOR_KEY,
      pits: options.pits ?? new PitQuota(),
      now,
      log: silentLog,
    },
    health: {
      dynamo: client(),
      tableName: 'rollups',
      search: { cluster: { health: async () => ({ body: { status: options.clusterStatus } }) } },
      log: silentLog,
    },
    lookupApiKey: async (key) => STATS_KEYS[key],
    liveTokens: {
      dynamo: client(),
      tableName: options.liveTokensTable ?? 'live-tokens',
      now: () => new Date(now()),
    },
    log: silentLog,
  };
}
