/**
 * Stats API core: per-account summaries over a window, read from the hourly rollups.
 */
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { type ApiKeyLookup, authorize } from '../shared/api-keys.js';
import { BadRequestError, NotFoundError } from '../shared/http.js';
import { accountPk, fromItem, hourlySortKeyRange } from './rollup-model.js';

const HOUR_MS = 3600 * 1000;

/** The windows a summary may cover, and their length. */
export const SUMMARY_WINDOWS = {
  last_1h: HOUR_MS,
  last_24h: 24 * HOUR_MS,
  last_7d: 7 * 24 * HOUR_MS,
  last_30d: 30 * 24 * HOUR_MS,
} as const;

export type SummaryWindow = keyof typeof SUMMARY_WINDOWS;

export const DEFAULT_WINDOW: SummaryWindow = 'last_24h';

/** Parses `?window=`; absent means `last_24h`, anything unknown is a 400 naming the allowed values. */
export function parseWindow(value: string | undefined | null): SummaryWindow {
  if (value === undefined || value === null || value === '') return DEFAULT_WINDOW;
  if (Object.hasOwn(SUMMARY_WINDOWS, value)) return value as SummaryWindow;
  throw new BadRequestError(
    `window must be one of ${Object.keys(SUMMARY_WINDOWS).join(', ')}; got "${value.slice(0, 64)}"`,
    { allowed_windows: Object.keys(SUMMARY_WINDOWS) },
  );
}

/** The summary body. */
export interface Summary {
  account_id: string;
  /** `from` is the start of the first hourly bucket read, so the window is covered whole. */
  window: { from: string; to: string };
  total: number;
  by_type: Record<string, number>;
  unique_users: number;
}

export interface StatsDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
}

/**
 * Sums the hourly rollups of the hours that overlap `[now - window, now]`. Throws `NotFoundError` when
 * the account has no rollups in that range.
 */
export async function summarize(accountId: string, window: SummaryWindow, deps: StatsDeps): Promise<Summary> {
  const to = deps.now();
  const from = new Date(Math.floor((to.getTime() - SUMMARY_WINDOWS[window]) / HOUR_MS) * HOUR_MS);
  const range = hourlySortKeyRange(from, to);
  let found = 0;
  let total = 0;
  const byType: Record<string, number> = {};
  const users = new Set<string>();
  const pages = paginateQuery(
    { client: deps.dynamo },
    {
      TableName: deps.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: { ':pk': accountPk(accountId), ':low': range.low, ':high': range.high },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const rollup = fromItem(item);
      if (!rollup) continue;
      found += 1;
      total += rollup.total;
      for (const [type, count] of Object.entries(rollup.byType)) byType[type] = (byType[type] ?? 0) + count;
      for (const user of rollup.users) users.add(user);
    }
  }
  if (found === 0) throw new NotFoundError(`no events for account ${accountId} in ${window}`);
  return {
    account_id: accountId,
    window: { from: from.toISOString(), to: to.toISOString() },
    total,
    by_type: byType,
    unique_users: users.size,
  };
}

/** A summary request as the handler sees it. */
export interface SummaryRequest {
  accountId: string | undefined;
  apiKey: string | undefined;
  window: string | undefined | null;
}

/**
 * Serves one summary request: 401 without a known key, 403 for a write key or another account's key,
 * 400 for an unknown window, 404 without data.
 */
export async function getSummary(
  request: SummaryRequest,
  deps: StatsDeps & { lookupApiKey: ApiKeyLookup },
): Promise<Summary> {
  if (!request.accountId) throw new BadRequestError('accountId path parameter is missing');
  await authorize(deps.lookupApiKey, request.apiKey, 'read', request.accountId);
  return summarize(request.accountId, parseWindow(request.window), deps);
}
