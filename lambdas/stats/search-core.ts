/**
 * `GET /v1/accounts/{accountId}/events` and `.../users/{userId}/events`: event search in OpenSearch
 * (`<prefix>-*`), newest first, paged with `search_after` on (timestamp, event_id), a total order.
 *
 * When a second page has a successor, a point in time (PIT) is opened and carried in the cursor, so
 * later pages read the same snapshot (a first page opens none: most readers never ask for a second),
 * within the account's quota (`pit-quota.ts`) and for at most `PIT_MAX_LIFETIME_MS`. Without a PIT,
 * or when it has expired, the search continues from the same sort position (no event is repeated or
 * skipped, only events indexed meanwhile may appear). The last page closes the PIT.
 *
 * The cursor is opaque but not secret: the account filter always comes from the caller's key and the
 * path, never from the cursor, and a cursor issued for another account or another query is a 400. It
 * is signed (`cursor-signing.ts`), so the PIT it names is one this API opened for it.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { errorSummary } from '../shared/error-summary.js';
import { EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN, ID_MAX_LENGTH } from '../shared/event-limits.js';
import { NotFoundError, ServiceUnavailableError } from '../shared/http.js';
import type { Log } from '../shared/logger.js';
import { signCursor, verifiedCursorPayload } from './cursor-signing.js';
import { closePit, openPit, PIT_KEEP_ALIVE, type PitQuota } from './pit-quota.js';
import {
  ALLOW_EMPTY_PARAM,
  allowsEmpty,
  given,
  instantParam,
  integerParam,
  invalid,
  iso,
  type Query,
  stringParam,
} from './query-params.js';

export const EVENTS_PARAMS = [
  'type',
  'user_id',
  'from',
  'to',
  'q',
  'limit',
  'cursor',
  ALLOW_EMPTY_PARAM,
] as const;
export const USER_EVENTS_PARAMS = ['type', 'from', 'to', 'q', 'limit', 'cursor', ALLOW_EMPTY_PARAM] as const;
export const DEFAULT_EVENTS_LIMIT = 50;
export const MAX_EVENTS_LIMIT = 100;
const Q_MAX_LENGTH = 256;
const MAX_CURSOR_LENGTH = 4096;
/** Fields `q` searches (keywords match whole values; `*` wildcards work); `properties` leaves included. */
const Q_FIELDS = ['type', 'user_id', 'anonymous_id', 'session_id', 'path', 'event_id', 'properties'];

interface SearchHit {
  _source?: Record<string, unknown>;
  sort?: unknown[];
}

/** The slice of the OpenSearch client the search uses; the real client satisfies it. */
export interface SearchApi {
  search(params: {
    index?: string;
    body: Record<string, unknown>;
    allow_partial_search_results?: boolean;
  }): Promise<{
    body: { hits: { hits: SearchHit[] }; pit_id?: string };
  }>;
  createPit(params: { index: string[]; keep_alive: string }): Promise<{ body: { pit_id: string } }>;
  deletePit(params: { body: { pit_id: string[] } }): Promise<unknown>;
}

export interface SearchDeps {
  search: SearchApi;
  indexPrefix: string;
  /** HMAC key of the cursors (`CURSOR_SIGNING_KEY`). */
  cursorKey: Buffer;
  /** The PITs each account may open; kept by the warm function. */
  pits: PitQuota;
  now: () => number;
  log: Log;
}

const cursorSchema = z.object({
  v: z.literal(1),
  a: z.string(),
  f: z.string(),
  s: z.tuple([z.number(), z.string()]),
  p: z.optional(z.string()),
  /** When the PIT `p` was opened (epoch ms). */
  t: z.optional(z.number()),
});
type Cursor = z.infer<typeof cursorSchema>;

export interface EventsPage {
  account_id: string;
  events: Record<string, unknown>[];
  limit: number;
  /** Pass as `cursor` for the next page; `null` on the last one. */
  next_cursor: string | null;
}

/** Serves one page of an account's events; `userId` is set by the per-user route. */
export async function searchEvents(
  accountId: string,
  query: Query,
  deps: SearchDeps,
  userId?: string,
): Promise<EventsPage> {
  const filters = {
    type: stringParam(query, 'type', EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN),
    user_id: userId ?? stringParam(query, 'user_id', ID_MAX_LENGTH),
    from: instantParam(query, 'from', false),
    to: instantParam(query, 'to', false),
    q: stringParam(query, 'q', Q_MAX_LENGTH),
  };
  if (filters.from !== undefined && filters.to !== undefined && filters.to <= filters.from) {
    invalid('to', 'must be after from');
  }
  const limit = integerParam(query, 'limit', 1, MAX_EVENTS_LIMIT, DEFAULT_EVENTS_LIMIT);
  const allowEmpty = allowsEmpty(query);
  const fingerprint = createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 16);
  const cursor = given(query, 'cursor')
    ? decodeCursor(query.cursor as string, accountId, fingerprint, deps.cursorKey)
    : undefined;

  const body: Record<string, unknown> = {
    size: limit + 1,
    track_total_hits: false,
    query: { bool: { filter: filterClauses(accountId, filters), must: mustClauses(filters.q) } },
    sort: [{ timestamp: { order: 'desc' } }, { event_id: { order: 'desc' } }],
    ...(cursor ? { search_after: cursor.s } : {}),
  };
  const now = deps.now();
  // A PIT past its lifetime is closed and not extended: what bounds the PITs an account holds open. One
  // opened "later" than now by more than that (by an environment whose clock runs ahead) cannot be aged.
  const pitOpenedAt = cursor?.t;
  const retired =
    cursor?.p !== undefined &&
    (pitOpenedAt === undefined || Math.abs(now - pitOpenedAt) > deps.pits.lifetimeMs);
  if (retired) await closePit(cursor?.p as string, deps);
  const { hits, pitId } = await runSearch(body, retired ? undefined : cursor?.p, deps);
  const page = hits.slice(0, limit);
  if (page.length === 0 && !cursor && !allowEmpty)
    throw new NotFoundError(`no events of account ${accountId} match`);
  let next: string | null = null;
  const last = page[page.length - 1];
  if (hits.length > limit && last?.sort) {
    // A first page opens no PIT: most readers (the dashboard's recent events) never ask for a second,
    // and a PIT per first page would hold OpenSearch's limited open contexts for nothing. A second
    // page opens one for the pages after it, within the account's quota.
    let pit = pitId ? { p: pitId, t: pitOpenedAt } : undefined;
    if (!pit && cursor && !retired && deps.pits.tryOpen(accountId, now)) {
      const opened = await openPit(deps);
      pit = opened ? { p: opened, t: now } : undefined;
    }
    next = encodeCursor(
      { v: 1, a: accountId, f: fingerprint, s: last.sort as Cursor['s'], ...pit },
      deps.cursorKey,
    );
  } else if (pitId) {
    await closePit(pitId, deps);
  }
  return { account_id: accountId, events: page.map((hit) => hit._source ?? {}), limit, next_cursor: next };
}

function filterClauses(
  accountId: string,
  filters: { type?: string; user_id?: string; from?: number; to?: number },
): Record<string, unknown>[] {
  const clauses: Record<string, unknown>[] = [{ term: { account_id: accountId } }];
  if (filters.type) clauses.push({ term: { type: filters.type } });
  if (filters.user_id) clauses.push({ term: { user_id: filters.user_id } });
  if (filters.from !== undefined || filters.to !== undefined) {
    const range: Record<string, string> = {};
    if (filters.from !== undefined) range.gte = iso(filters.from);
    if (filters.to !== undefined) range.lt = iso(filters.to);
    clauses.push({ range: { timestamp: range } });
  }
  return clauses;
}

function mustClauses(q: string | undefined): Record<string, unknown>[] {
  if (!q) return [];
  return [{ simple_query_string: { query: q, fields: Q_FIELDS, default_operator: 'and', lenient: true } }];
}

/**
 * Searches in the cursor's PIT, or (none, or expired) the indices. Never a partial page: by default
 * OpenSearch answers 200 with the hits of the shards that worked when others failed, which would
 * leave events out of a page and out of every page after it (the cursor moves past them).
 */
async function runSearch(
  body: Record<string, unknown>,
  pit: string | undefined,
  deps: SearchDeps,
): Promise<{ hits: SearchHit[]; pitId?: string }> {
  if (pit) {
    try {
      const { body: result } = await deps.search.search({
        body: { ...body, pit: { id: pit, keep_alive: PIT_KEEP_ALIVE } },
        allow_partial_search_results: false,
      });
      return { hits: result.hits.hits, pitId: result.pit_id ?? pit };
    } catch (error) {
      deps.log.info('point in time gone, continuing without it', { reason: (error as Error).name });
    }
  }
  try {
    const { body: result } = await deps.search.search({
      index: `${deps.indexPrefix}-*`,
      body,
      allow_partial_search_results: false,
    });
    return { hits: result.hits.hits };
  } catch (error) {
    const clauses = clauseLimitOf(error);
    if (clauses !== undefined) {
      invalid(
        'q',
        `expands to more than ${clauses} clauses over the searched fields (a fuzzy term~ expands to up to 50 terms); use fewer terms`,
      );
    }
    deps.log.warn('event search failed', { error: errorSummary(error) });
    throw new ServiceUnavailableError('event search is unavailable; retry shortly', 2);
  }
}

/** Root causes of a query that expands past OpenSearch's `indices.query.bool.max_clause_count`. */
const TOO_MANY_CLAUSES = new Set(['too_many_nested_clauses', 'too_many_clauses']);

/**
 * The clause limit, when OpenSearch refused the query for expanding past it (a fact about the query,
 * not the cluster: retrying would fail again), else `undefined`.
 */
function clauseLimitOf(error: unknown): number | undefined {
  const body = (error as { meta?: { body?: unknown } } | undefined)?.meta?.body as
    | { error?: { root_cause?: { type?: unknown; reason?: unknown }[] } }
    | undefined;
  const cause = body?.error?.root_cause?.find((candidate) => TOO_MANY_CLAUSES.has(String(candidate?.type)));
  if (!cause) return undefined;
  const limit = /maxClauseCount is set to (\d+)/.exec(String(cause.reason))?.[1];
  return limit ? Number(limit) : 1024;
}

function encodeCursor(cursor: Cursor, key: Buffer): string {
  return signCursor(Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url'), key);
}

function decodeCursor(token: string, accountId: string, fingerprint: string, key: Buffer): Cursor {
  if (token.length > MAX_CURSOR_LENGTH) invalid('cursor', 'is not a cursor returned by this API');
  const payload = verifiedCursorPayload(token, key);
  if (payload === undefined) invalid('cursor', 'is not a cursor returned by this API');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    invalid('cursor', 'is not a cursor returned by this API');
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) invalid('cursor', 'is not a cursor returned by this API');
  if (parsed.data.a !== accountId) invalid('cursor', 'was issued for another account');
  if (parsed.data.f !== fingerprint)
    invalid('cursor', 'was issued for a different query; repeat the same filters');
  return parsed.data;
}
