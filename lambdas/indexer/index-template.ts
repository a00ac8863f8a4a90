/**
 * The OpenSearch index template for the time-based event indices and the event registry. One
 * definition, applied by the local stack's provisioning and (in AWS) by the deployment, so a document
 * is mapped the same everywhere.
 *
 * Why this shape: core fields are typed explicitly under `dynamic: strict`, so a client cannot create
 * new top-level fields (mapping explosion); free-form `properties` is a `flat_object`, which indexes
 * every leaf as a keyword without adding a mapping per key, so one event with a surprising property
 * shape can never make the others fail to index.
 *
 * Defence in depth: admission (`lambdas/shared/event-storability.ts`) is what keeps an event OpenSearch
 * cannot take off the stream. The settings below bound what OpenSearch can bound itself, for whatever
 * writes here by another path; they cannot bound `flat_object`, which in 2.19 has no depth, key or
 * length option and is not covered by `index.mapping.depth.limit` (measured; see docs/decisions.md).
 */
export const EVENTS_INDEX_TEMPLATE_NAME = 'events';

/** Index name for an event at `timestamp` (UTC day), e.g. `events-2026.11.21`. */
export function eventsIndexName(prefix: string, timestamp: string | Date): string {
  return `${prefix}-${utcDay(timestamp)}`;
}

/**
 * Index pattern of the event registry (`event-registry.ts`): outside `<prefix>-*`, which searches use,
 * so a registration is never found as an event.
 */
export function registryIndexPattern(prefix: string): string {
  return `${prefix}_registry-*`;
}

/** `YYYY.MM.DD` of the UTC day of `at`. */
export function utcDay(at: string | Date | number): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 4)}.${iso.slice(5, 7)}.${iso.slice(8, 10)}`;
}

/**
 * Replicas of every events index on a domain of `dataNodes` data nodes: one copy on another node as soon
 * as there is one, so losing a node (with `opensearchMultiAz`, an AZ) loses no indexed event and leaves
 * no primary shard unassigned. A single node (the local stack, a dev domain) cannot hold a replica.
 */
export function indexReplicas(dataNodes: number): number {
  return dataNodes > 1 ? 1 : 0;
}

/**
 * When a search or an indexing operation on one shard is logged as slow. A dashboard's search answers in
 * well under a second and the indexer's `_bulk` of one batch in about one: these mark what an operator
 * should look at, not every request.
 */
export const SLOW_LOG_THRESHOLDS = {
  'search.slowlog.threshold.query.warn': '5s',
  'search.slowlog.threshold.query.info': '2s',
  'search.slowlog.threshold.fetch.warn': '1s',
  'indexing.slowlog.threshold.index.warn': '10s',
  'indexing.slowlog.threshold.index.info': '5s',
} as const;

/** The composable index template body for `PUT _index_template/<name>`, for a domain of `replicas`. */
export function eventsIndexTemplate(prefix: string, replicas = 0) {
  return {
    index_patterns: [`${prefix}-*`, registryIndexPattern(prefix)],
    priority: 100,
    template: {
      settings: {
        number_of_shards: 1,
        number_of_replicas: replicas,
        refresh_interval: '1s',
        // Core fields are flat: an array nested in one (`user_id: [["a"]]`) is refused, not parsed deeper.
        'mapping.depth.limit': 2,
        // The mapping below is the whole mapping (`dynamic: strict`); room for it, none for an explosion.
        'mapping.total_fields.limit': 50,
        'mapping.field_name_length.limit': 64,
        'mapping.nested_fields.limit': 0,
        // The domain publishes its slow logs to CloudWatch, but OpenSearch logs nothing slow until an
        // index sets thresholds: without them those log groups stayed empty whatever the latency.
        ...SLOW_LOG_THRESHOLDS,
      },
      mappings: {
        dynamic: 'strict',
        properties: {
          event_id: { type: 'keyword' },
          account_id: { type: 'keyword' },
          type: { type: 'keyword' },
          timestamp: { type: 'date', format: 'strict_date_optional_time' },
          received_at: { type: 'date', format: 'strict_date_optional_time' },
          user_id: { type: 'keyword' },
          anonymous_id: { type: 'keyword' },
          session_id: { type: 'keyword' },
          path: { type: 'keyword' },
          value: { type: 'double' },
          client_ip: { type: 'ip', ignore_malformed: true },
          user_agent: { type: 'keyword', ignore_above: 1024 },
          properties: { type: 'flat_object' },
        },
      },
    },
  };
}
