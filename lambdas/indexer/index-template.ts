/**
 * The OpenSearch index template for the time-based event indices. One definition, applied by the local
 * stack's provisioning and (in AWS) by the deployment, so a document is mapped the same everywhere.
 *
 * Why this shape: core fields are typed explicitly under `dynamic: strict`, so a client cannot create
 * new top-level fields (mapping explosion); free-form `properties` is a `flat_object`, which indexes
 * every leaf as a keyword without adding a mapping per key, so one event with a surprising property
 * shape can never make the others fail to index.
 */
export const EVENTS_INDEX_TEMPLATE_NAME = 'events';

/** Index name for an event at `timestamp` (UTC day), e.g. `events-2026.11.21`. */
export function eventsIndexName(prefix: string, timestamp: string | Date): string {
  const iso = (typeof timestamp === 'string' ? new Date(timestamp) : timestamp).toISOString();
  return `${prefix}-${iso.slice(0, 4)}.${iso.slice(5, 7)}.${iso.slice(8, 10)}`;
}

/** The composable index template body for `PUT _index_template/<name>`. */
export function eventsIndexTemplate(prefix: string) {
  return {
    index_patterns: [`${prefix}-*`],
    priority: 100,
    template: {
      settings: {
        number_of_shards: 1,
        number_of_replicas: 0,
        refresh_interval: '1s',
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
