/**
 * When the page reads its baselines again (see `live-totals.ts`): every minute, sooner when the last one
 * was unsettled, at a quiet moment of the push, or anyway after 5 minutes without one. After a failed
 * read, not before a backoff (5 s doubling to 5 minutes, jittered): a page facing a failing or throttled
 * stats API asked it twice every 5 seconds for as long as it failed, and so did every page open.
 */
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import { ROLLUP_LAG_MS } from './live-totals.js';

/** The counts are read again this often (sooner when unsettled), at a quiet moment… */
export const RESYNC_MS = 60_000;
/** …when the push has been quiet this long (the rollups have caught up with it)… */
export const QUIET_MS = ROLLUP_LAG_MS;
/** …or anyway after this long without one. */
export const FORCED_RESYNC_MS = 5 * 60_000;
/** Delays after failed reads, in a row. */
export const FAILED_RESYNC_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 5 * 60_000 };

export interface ResyncState {
  lastResyncAt: number;
  lastLiveAt: number;
  /** The last baseline may have missed or doubled events, or was behind. */
  unsettled: boolean;
  /** No read before this (after failed ones); 0 when the last one succeeded. */
  notBefore: number;
}

/** Whether the baselines are due to be read again at `now`. */
export function resyncDue(state: ResyncState, now: number): boolean {
  if (now < state.notBefore) return false;
  if (!state.unsettled && now - state.lastResyncAt < RESYNC_MS) return false;
  return now - state.lastLiveAt >= QUIET_MS || now - state.lastResyncAt >= FORCED_RESYNC_MS;
}

/** When a read may be tried again after `failures` failed ones in a row. */
export function retryAfterFailures(failures: number, now: number, random = Math.random): number {
  return now + backoffDelay(failures - 1, FAILED_RESYNC_BACKOFF, random);
}
