/**
 * `GET /v1/health`: whether the read path's stores answer, without any key and without any data (no
 * account, no count, no name of a resource): `{status, checks: {rollups, search}}`, 200 when both
 * answer, 503 when one does not.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Log } from '../shared/logger.js';

export type CheckStatus = 'ok' | 'unreachable' | 'red';

export interface Health {
  status: 'ok' | 'degraded';
  checks: { rollups: CheckStatus; search: CheckStatus };
}

/** The slice of the OpenSearch client the check uses; the real client satisfies it. */
export interface ClusterHealthApi {
  cluster: { health(params?: { timeout?: string }): Promise<{ body: { status?: string } }> };
}

export interface HealthDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  search: ClusterHealthApi;
  log: Log;
  /** Bound of each check. */
  timeoutMs?: number;
}

/** Runs both checks in parallel, each bounded in time. */
export async function checkHealth(deps: HealthDeps): Promise<{ statusCode: 200 | 503; body: Health }> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const [rollups, search] = await Promise.all([
    bounded(timeoutMs, async () => {
      // Any read answers whether the table is reachable; this key never holds an item.
      await deps.dynamo.send(new GetCommand({ TableName: deps.tableName, Key: { pk: 'HEALTH', sk: 'H' } }));
      return 'ok' as const;
    }),
    bounded(timeoutMs, async () => {
      const { body } = await deps.search.cluster.health({ timeout: `${Math.ceil(timeoutMs / 1000)}s` });
      return body.status === 'red' ? ('red' as const) : ('ok' as const);
    }),
  ]);
  for (const [name, result] of Object.entries({ rollups, search })) {
    if (result !== 'ok') deps.log.warn('health check failed', { check: name, result });
  }
  const ok = rollups === 'ok' && search === 'ok';
  return {
    statusCode: ok ? 200 : 503,
    body: { status: ok ? 'ok' : 'degraded', checks: { rollups, search } },
  };
}

async function bounded(timeoutMs: number, check: () => Promise<CheckStatus>): Promise<CheckStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckStatus>((resolve) => {
    timer = setTimeout(() => resolve('unreachable'), timeoutMs);
  });
  try {
    return await Promise.race([check().catch(() => 'unreachable' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
