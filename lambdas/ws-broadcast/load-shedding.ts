/**
 * Live push under overload: one account's dashboards must not hold up another's. Posts per batch are
 * an account's connections times its frames, and the batches of a shard run one after another, so an
 * account with 150 dashboards receiving its events at its full event rate asks for more posts than the
 * broadcaster makes; every account's events then queue behind its backlog (measured on the local stack:
 * another account's live push p50 went from 44 ms to 15 s).
 *
 * So when a batch arrives late (its oldest event received more than `SHED_AFTER_MS` ago) while a light
 * account has had something to push in the last minute, the broadcaster sheds the batch's heavy
 * accounts (more than `HEAVY_ACCOUNT_POSTS` posts; with no light account about, a heavy account delays
 * only itself and keeps its frames): their
 * frames are dropped, and each of their connections is told so at most once per
 * `DROP_NOTICE_INTERVAL_MS` (a small `dropped` frame; the dashboard then reads what it missed from
 * `/events`, as after a reconnect); until then, while batches are still late, the account's events
 * are dropped before its connections are even listed. Light accounts keep every frame, so the backlog
 * drains and their push is timely again. Live push is best effort; the indexed and counted events are untouched.
 */
import type { Delivery } from './fan-out.js';

/** A batch whose oldest event was received longer ago than this is behind. */
export const SHED_AFTER_MS = 2_000;
/** An account asking for more posts than this in a late batch is shed. */
export const HEAVY_ACCOUNT_POSTS = 50;
/** A shed account's connections are told at most this often. */
export const DROP_NOTICE_INTERVAL_MS = 10_000;
/** The frame a shed connection gets instead of its events. */
export const DROPPED_FRAME = JSON.stringify({
  type: 'dropped',
  reason: 'live push is behind: events of this account were not pushed; read them from /events',
});
const MAX_ACCOUNTS_TRACKED = 10_000;
/** A light account pushed to within this long is one to protect. */
const LIGHT_MEMORY_MS = 60_000;

const isLight = (posts: number) => posts > 0 && posts <= HEAVY_ACCOUNT_POSTS;

export interface ShedResult {
  deliveries: Delivery[][];
  /** Frames not posted. */
  shedFrames: number;
  /** Accounts shed in this batch. */
  shedAccounts: string[];
}

/** Per function instance: when each shed account's connections were last told. */
export class LoadShedder {
  readonly #notifiedAt = new Map<string, number>();
  /** When a light account last had something to push. */
  #lightSeenAt = Number.NEGATIVE_INFINITY;

  /** Each account's deliveries as they should be posted, given how far behind the batch is. */
  shed(byAccount: readonly Delivery[][], behindMs: number, now: number): ShedResult {
    const result: ShedResult = { deliveries: [], shedFrames: 0, shedAccounts: [] };
    const postsOf = (deliveries: readonly Delivery[]) =>
      deliveries.reduce((sum, delivery) => sum + delivery.frames.length, 0);
    if (byAccount.some((deliveries) => isLight(postsOf(deliveries)))) this.#lightSeenAt = now;
    // Shedding is for the light accounts' sake: with none pushed to lately, a heavy account delays only
    // itself (one account's 100 dashboards under a burst keep every frame).
    const protecting = now - this.#lightSeenAt < LIGHT_MEMORY_MS;
    for (const deliveries of byAccount) {
      const posts = postsOf(deliveries);
      const accountId = deliveries[0]?.accountId;
      const keep = !protecting || behindMs <= SHED_AFTER_MS || posts <= HEAVY_ACCOUNT_POSTS;
      if (keep || accountId === undefined) {
        result.deliveries.push([...deliveries]);
        continue;
      }
      result.shedFrames += posts;
      result.shedAccounts.push(accountId);
      const last = this.#notifiedAt.get(accountId);
      if (last !== undefined && now - last < DROP_NOTICE_INTERVAL_MS) continue;
      this.#notifiedAt.delete(accountId);
      this.#notifiedAt.set(accountId, now);
      if (this.#notifiedAt.size > MAX_ACCOUNTS_TRACKED)
        this.#notifiedAt.delete(this.#notifiedAt.keys().next().value as string);
      result.deliveries.push(deliveries.map((delivery) => ({ ...delivery, frames: [DROPPED_FRAME] })));
    }
    return result;
  }

  /**
   * Whether `accountId` was shed (and told) within the notice interval while the batch is still late:
   * then its events are dropped before its connections are even listed.
   */
  stillShedding(accountId: string, behind: number, now: number): boolean {
    const last = this.#notifiedAt.get(accountId);
    return behind > SHED_AFTER_MS && last !== undefined && now - last < DROP_NOTICE_INTERVAL_MS;
  }
}

/** How long ago the batch's oldest event was received (0 for an empty batch). */
export function behindMs(receivedAt: readonly string[], now: number): number {
  let oldest = now;
  for (const at of receivedAt) {
    const time = Date.parse(at);
    if (time < oldest) oldest = time;
  }
  return now - oldest;
}
