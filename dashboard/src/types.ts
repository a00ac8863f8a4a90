/**
 * What the page receives: events as the live push and `/events` give them, and the stats API's answers
 * it reads (README "Reading stats" documents every field).
 */

/** An event as pushed over the WebSocket or returned by `/events`. */
export interface LiveEvent {
  event_id: string;
  account_id?: string;
  type: string;
  timestamp: string;
  received_at?: string;
  user_id?: string;
  anonymous_id?: string;
  session_id?: string;
  path?: string;
  value?: number;
  /** Set by the live push on an event too large for a WebSocket frame; `properties` were left out. */
  truncated?: boolean;
}

export interface Summary {
  account_id: string;
  from: string;
  to: string;
  total_events: number;
  totals_by_type: Record<string, number>;
  unique_users: number;
  top_users: { user_id: string; events: number }[];
  top_paths: { path: string; views: number }[];
}

export interface Timeseries {
  interval: 'minute' | 'hour' | 'day';
  from: string;
  to: string;
  buckets: { start: string; events: number }[];
}

export interface EventsPage {
  events: LiveEvent[];
  next_cursor: string | null;
}

/** The answer of `POST /v1/live-tokens`. */
export interface LiveTokenGrant {
  token: string;
  account_id: string;
  expires_at: string;
  session_expires_at: string;
  expires_in: number;
}

/** What `config.json` beside the page says (written by the local stack, or at deploy). */
export interface DashboardConfig {
  /** Base of the REST API; empty when it is served from the page's own origin (`/v1/...`). */
  apiBaseUrl: string;
  /** The WebSocket API (`wss://…/prod` deployed, `ws://127.0.0.1:…` locally). */
  websocketUrl: string;
}

/** The user of an event: `user_id`, else `anonymous_id` (as the stats API counts users). */
export function userOf(event: LiveEvent): string | undefined {
  return event.user_id ?? event.anonymous_id;
}
