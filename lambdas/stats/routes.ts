/**
 * The stats API's resource paths: the REST routes in `lib/topology.ts` are built from them and the
 * stats handler dispatches on them (API Gateway passes the matched path as `resource`).
 */
export const STATS_ROUTES = {
  summary: '/v1/accounts/{accountId}/summary',
  timeseries: '/v1/accounts/{accountId}/timeseries',
  events: '/v1/accounts/{accountId}/events',
  userEvents: '/v1/accounts/{accountId}/users/{userId}/events',
  health: '/v1/health',
} as const;

export type StatsRoute = (typeof STATS_ROUTES)[keyof typeof STATS_ROUTES];
