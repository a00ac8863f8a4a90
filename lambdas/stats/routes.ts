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

/**
 * `POST /v1/live-tokens`: a read key (or a live token, to renew it) in, a short-lived live token out,
 * for the WebSocket and the dashboard page. Served by the stats function (`live-token-core.ts`).
 */
export const LIVE_TOKENS_ROUTE = '/v1/live-tokens';
