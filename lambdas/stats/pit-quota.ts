/**
 * How many points in time (PITs) each account may open from one function instance. OpenSearch caps
 * the PITs open on a node (`search.max_open_pit_context`, 300 by default) for every account at once,
 * and each replay of a first page's cursor opens one: one read key at its request limit took all 300
 * in 9 s on the local stack, and every other account's paging then ran without a snapshot.
 *
 * So an account opens at most `perAccount` PITs per `lifetimeMs` here, and the search stops using (and
 * closes) a PIT once it is `lifetimeMs` old, so the PITs an account holds open are bounded by this
 * quota times the instances serving it. Past the quota, pages continue without a PIT, the fallback
 * every cursor already has (the sort is a total order: nothing repeated or skipped).
 */
import type { SearchDeps } from './search-core.js';

/** How long an unused PIT stays open; each page that reads it extends it by as much. */
export const PIT_KEEP_ALIVE = '2m';
export const PIT_OPENS_PER_ACCOUNT = 5;
/** How long a PIT serves a listing: past it, the pages continue without one. */
export const PIT_MAX_LIFETIME_MS = 10 * 60_000;
const MAX_ACCOUNTS_TRACKED = 10_000;

export class PitQuota {
  /** Per account, when its recent PITs were opened (oldest first); accounts least recently active first. */
  private readonly opened = new Map<string, number[]>();

  constructor(
    readonly perAccount = PIT_OPENS_PER_ACCOUNT,
    readonly lifetimeMs = PIT_MAX_LIFETIME_MS,
  ) {}

  /** Whether `accountId` may open a PIT at `now`; if so, the opening is counted. */
  tryOpen(accountId: string, now: number): boolean {
    const recent = (this.opened.get(accountId) ?? []).filter((at) => at > now - this.lifetimeMs);
    this.opened.delete(accountId);
    const allowed = recent.length < this.perAccount;
    if (allowed) recent.push(now);
    if (recent.length > 0) this.opened.set(accountId, recent);
    if (this.opened.size > MAX_ACCOUNTS_TRACKED)
      this.opened.delete(this.opened.keys().next().value as string);
    return allowed;
  }
}

/** A PIT over the event indices, or none when OpenSearch refuses one (paging still works without). */
export async function openPit(deps: SearchDeps): Promise<string | undefined> {
  try {
    const { body } = await deps.search.createPit({
      index: [`${deps.indexPrefix}-*`],
      keep_alive: PIT_KEEP_ALIVE,
    });
    return body.pit_id;
  } catch (error) {
    deps.log.info('no point in time for paging', { reason: (error as Error).name });
    return undefined;
  }
}

/** Closes a PIT now rather than at its keep-alive (best effort: it expires anyway). */
export async function closePit(pit: string, deps: SearchDeps): Promise<void> {
  await deps.search.deletePit({ body: { pit_id: [pit] } }).catch(() => undefined);
}
