/**
 * The same events in PostgreSQL, as a careful user would keep them: one row per event, an index on
 * (account, time) that covers the summary's columns (index-only scans after VACUUM), and one query that
 * answers the whole summary (the window's rows scanned once, in a materialized CTE).
 */
import type pg from 'pg';
import type { StoredEvent } from '../../lambdas/shared/event-schema.js';

export async function createSchema(client: pg.Client): Promise<void> {
  await client.query(`
    CREATE TABLE events (
      account_id text NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      ts timestamptz NOT NULL,
      user_id text,
      path text,
      value double precision,
      PRIMARY KEY (account_id, event_id)
    )`);
}

export async function loadPostgres(client: pg.Client, events: StoredEvent[]): Promise<number> {
  const started = performance.now();
  const ROWS = 5000;
  for (let offset = 0; offset < events.length; offset += ROWS) {
    const rows = events.slice(offset, offset + ROWS);
    const values: unknown[] = [];
    const tuples = rows.map((event, index) => {
      values.push(
        event.account_id,
        event.event_id,
        event.type,
        event.timestamp,
        event.user_id ?? null,
        event.path ?? null,
        event.value ?? null,
      );
      const base = index * 7;
      return `($${base + 1},$${base + 2},$${base + 3},$${base + 4},$${base + 5},$${base + 6},$${base + 7})`;
    });
    await client.query(`INSERT INTO events VALUES ${tuples.join(',')}`, values);
  }
  return (performance.now() - started) / 1000;
}

/** After loading: the covering index, then VACUUM ANALYZE so the planner can use index-only scans. */
export async function indexAndAnalyze(client: pg.Client): Promise<void> {
  await client.query(
    'CREATE INDEX events_account_ts ON events (account_id, ts) INCLUDE (type, user_id, path)',
  );
  await client.query('VACUUM ANALYZE events');
}

export interface PgSummary {
  total: number;
  by_type: Record<string, number>;
  unique_users: number;
  top_users: { user_id: string; n: number }[] | null;
  top_paths: { path: string; n: number }[] | null;
}

/** The summary the stats API answers, in SQL: events of the account at or after `from`. */
export async function pgSummary(client: pg.Client, accountId: string, from: string): Promise<PgSummary> {
  const { rows } = await client.query<PgSummary>(
    `WITH w AS MATERIALIZED (SELECT type, user_id, path FROM events WHERE account_id = $1 AND ts >= $2)
     SELECT
       (SELECT count(*) FROM w)::int AS total,
       (SELECT json_object_agg(type, n) FROM (SELECT type, count(*) AS n FROM w GROUP BY type) t) AS by_type,
       (SELECT count(DISTINCT user_id) FROM w)::int AS unique_users,
       (SELECT json_agg(u) FROM (SELECT user_id, count(*) AS n FROM w GROUP BY user_id ORDER BY n DESC, user_id LIMIT 10) u) AS top_users,
       (SELECT json_agg(p) FROM (SELECT path, count(*) AS n FROM w WHERE type = 'page_view' GROUP BY path ORDER BY n DESC, path LIMIT 10) p) AS top_paths`,
    [accountId, from],
  );
  return rows[0] as PgSummary;
}
