/**
 * Event search when OpenSearch fails a search, in whole or on some shards: a page is never partial,
 * and a query that can never run is the caller's 400, not a 503 to retry forever.
 */
import { errors } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { PitQuota } from '../../../lambdas/stats/pit-quota.js';
import { type SearchApi, searchEvents } from '../../../lambdas/stats/search-core.js';
import { silentLog, TEST_CURSOR_KEY } from '../../helpers/factories.js';
import { httpErrorOf } from '../../helpers/ingest-fixtures.js';

const CLAUSES_REASON = 'Query contains too many nested clauses; maxClauseCount is set to 1024';

/** The error OpenSearch 2.19 answers for a `q` whose fuzzy terms expand past the clause limit (captured). */
function tooManyClauses(): Error {
  const cause = { type: 'too_many_nested_clauses', reason: CLAUSES_REASON };
  return new errors.ResponseError({
    body: {
      error: {
        root_cause: [cause],
        type: 'search_phase_execution_exception',
        reason: 'all shards failed',
        phase: 'query',
        caused_by: { ...cause, caused_by: cause },
      },
      status: 500,
    },
    statusCode: 500,
    headers: {},
    warnings: null,
    meta: {} as never,
  } as never);
}

const hit = (id: string) => ({
  _source: { event_id: id, account_id: 'acct-1' },
  sort: [Date.parse('2026-01-15T10:00:00Z'), id],
});

/**
 * Two indices, one of whose shards fails the query, answering as OpenSearch does: with partial results
 * allowed (its default), a 200 with the other shard's hits and `_shards.failed: 1`; else the error.
 */
function oneShardFails(): SearchApi & { calls: Record<string, unknown>[] } {
  const calls: Record<string, unknown>[] = [];
  return {
    calls,
    search: async (params) => {
      calls.push(params);
      if (params.allow_partial_search_results === false) throw tooManyClauses();
      return { body: { hits: { hits: [hit('from-the-healthy-shard')] }, _shards: { total: 2, failed: 1 } } };
    },
    createPit: async () => ({ body: { pit_id: 'pit-1' } }),
    deletePit: async () => ({}),
  };
}

describe('event search failures', () => {
  it('answers 400 naming q and the clause limit for a q that expands past it, never a partial page', async () => {
    // Prepare: 36 fuzzy terms, each expanding to up to 50 terms in a busy index
    const search = oneShardFails();
    const q = 'abcdefghijklmnopqrstuvwxyz0123456789'
      .split('')
      .map((char) => `${char}~2`)
      .join(' ');

    // Act
    const error = await httpErrorOf(
      searchEvents(
        'acct-1',
        { q },
        {
          search,
          indexPrefix: 'events',
          cursorKey: TEST_CURSOR_KEY,
          pits: new PitQuota(),
          now: Date.now,
          log: silentLog,
        },
      ),
    );

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.details.parameter).toBe('q');
    expect(error.message).toContain('more than 1024 clauses');
  });

  it('answers 503 for any other failed search, with or without a point in time', async () => {
    // Prepare
    const unreachable: SearchApi = {
      search: async () => {
        throw new errors.ConnectionError('connect ECONNREFUSED', {} as never);
      },
      createPit: async () => ({ body: { pit_id: 'pit-1' } }),
      deletePit: async () => ({}),
    };

    // Act
    const error = await httpErrorOf(
      searchEvents(
        'acct-1',
        {},
        {
          search: unreachable,
          indexPrefix: 'events',
          cursorKey: TEST_CURSOR_KEY,
          pits: new PitQuota(),
          now: Date.now,
          log: silentLog,
        },
      ),
    );

    // Assess
    expect([error.statusCode, error.headers['Retry-After']]).toEqual([503, '2']);
  });
});
