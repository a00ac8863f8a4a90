/**
 * The signed-in screen: wires the live socket, the stats API and the views. History comes from the
 * stats API (summary, minute series, recent events), then the live push moves everything on; after a
 * drop the gap is filled from `/events` and the baselines are read again; every minute (at a quiet
 * moment, see `live-totals.ts`) they are read again anyway, so counts converge on the rollups whatever
 * the push missed or repeated.
 */
import { ApiError, type StatsApi } from './api.js';
import { byId } from './dom.js';
import { Feed } from './feed.js';
import { fillGap, GAP_PAGE_SIZE, gapStart } from './gap.js';
import { LiveSocket, type SocketLike } from './live-socket.js';
import { MinuteSeries, TypeCounts } from './live-totals.js';
import { QUIET_MS, resyncDue, retryAfterFailures } from './resync.js';
import {
  RENEW_BEFORE_MS,
  renewalAt,
  type Session,
  type SessionStore,
  serverNow,
  sessionFromGrant,
} from './session.js';
import type { DashboardConfig, LiveEvent, Summary } from './types.js';
import { ChartView } from './views/chart-view.js';
import { FeedView } from './views/feed-view.js';
import { StatusView } from './views/status-view.js';
import { SummaryView } from './views/summary-view.js';

/** A baseline behind what is shown is asked for again this many times before it is taken anyway. */
const MAX_BEHIND = 5;
/** Events are indexed a moment after they are pushed: the gap is read again this much later. */
const SECOND_GAP_FILL_MS = 5_000;
const RENEW_RETRY_MS = 30_000;

export class LiveDashboard {
  readonly #feed = new Feed();
  readonly #types = new TypeCounts();
  readonly #series = new MinuteSeries(60);
  #summary: Summary | undefined;
  readonly #socket: LiveSocket;
  readonly #status: StatusView;
  readonly #summaryView = new SummaryView();
  readonly #chart = new ChartView();
  readonly #feedView: FeedView;
  readonly #timers: ReturnType<typeof setTimeout>[] = [];
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #settleTimer: ReturnType<typeof setTimeout> | undefined;
  #lastLiveAt = 0;
  #lastResyncAt = 0;
  /** The last baseline may have missed or doubled events that arrived while it was read, or was behind. */
  #unsettled = false;
  /** Failed baseline reads in a row, and no read before `#notBefore` (ms) because of them. */
  #failures = 0;
  #notBefore = 0;
  /** Baselines in a row that were behind what is shown. */
  #behind = 0;
  #renderQueued = false;
  #stopped = false;

  constructor(
    private readonly config: DashboardConfig,
    private readonly api: StatsApi,
    private session: Session,
    private readonly sessions: SessionStore,
    /** Called when the session ends (signed out, or the token could not be renewed). */
    private readonly ended: (message?: string) => void,
  ) {
    this.#status = new StatusView(() => this.#socket.retryNow());
    this.#feedView = new FeedView(this.#feed, () => this.#queueRender());
    this.#socket = new LiveSocket({
      url: async () => `${this.config.websocketUrl}?token=${encodeURIComponent(await this.#token())}`,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      onEvents: (events) => this.#live(events),
      onState: (state) => this.#status.set(state),
      onReconnected: (droppedAt) => void this.#catchUp(droppedAt),
      // The server skipped some of our events (it says so at most every 10 s): read them as after a drop.
      onDropped: (at) => void this.#catchUp(at),
    });
  }

  start(): void {
    byId('account').textContent = this.session.accountId;
    this.#socket.start();
    this.#scheduleRenewal();
    void this.#resync();
    void this.#loadRecent();
    this.#timers.push(
      setInterval(() => this.#resyncWhenQuiet(), 5_000),
      // The countdown of the indicator, the sliding chart and the "this minute" card move with time.
      setInterval(() => this.#status.render(), 1000),
      setInterval(() => this.#queueRender(), 10_000),
    );
    window.addEventListener('online', this.#online);
    this.#queueRender();
  }

  stop(): void {
    this.#stopped = true;
    this.#socket.stop();
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#settleTimer);
    window.removeEventListener('online', this.#online);
    // The page's elements stay for the next sign-in: each view takes back what it put on them.
    this.#chart.dispose();
    this.#feedView.dispose();
    this.#status.dispose();
  }

  readonly #online = () => this.#socket.retryNow();

  /** Pushed events: the feed keeps the new ones, which then count. */
  #live(events: LiveEvent[]): void {
    const fresh = this.#feed.add(events);
    if (fresh.length === 0) return;
    this.#lastLiveAt = Date.now();
    this.#types.add(fresh, this.#lastLiveAt);
    this.#series.add(fresh, this.#lastLiveAt);
    this.#queueRender();
    // Once a burst has settled, the rollups have it all: read them again (unique users and the top
    // lists only they know, and exact counts).
    clearTimeout(this.#settleTimer);
    this.#settleTimer = setTimeout(() => {
      if (Date.now() >= this.#notBefore) void this.#resync();
    }, QUIET_MS);
  }

  /** Events read from `/events` go to the feed only: the baselines count them already. */
  #history(events: LiveEvent[]): void {
    if (this.#feed.add(events).length > 0) this.#queueRender();
  }

  async #catchUp(droppedAt: number): Promise<void> {
    // In server time, as the events' timestamps and the `from` the API reads are.
    const from = gapStart(
      serverNow(this.session),
      serverNow(this.session, droppedAt),
      this.#feed.newestTimestamp(),
    );
    const readPage = async (fromIso: string, cursor: string | undefined) =>
      this.api.events(await this.#token(), this.session.accountId, {
        from: fromIso,
        cursor,
        limit: GAP_PAGE_SIZE,
      });
    await this.#guard(async () => {
      await fillGap(readPage, from, (events) => this.#history(events));
      await this.#resync();
    });
    this.#timers.push(
      setTimeout(
        () => void this.#guard(() => fillGap(readPage, from, (events) => this.#history(events))),
        SECOND_GAP_FILL_MS,
      ),
    );
  }

  #resyncWhenQuiet(): void {
    const state = {
      lastResyncAt: this.#lastResyncAt,
      lastLiveAt: this.#lastLiveAt,
      unsettled: this.#unsettled,
      notBefore: this.#notBefore,
    };
    if (resyncDue(state, Date.now())) void this.#resync();
  }

  /** Reads the counts' baselines (and the summary) again, dropping what was counted live before. */
  async #resync(): Promise<void> {
    const requestedAt = Date.now();
    this.#lastResyncAt = requestedAt;
    const read = await this.#guard(async () => {
      const token = await this.#token();
      const [summary, series] = await Promise.all([
        this.api.summary(token, this.session.accountId),
        this.api.minuteSeries(token, this.session.accountId),
      ]);
      this.#summary = summary;
      const forced = this.#behind >= MAX_BEHIND;
      const fits = [
        this.#types.setBaseline(summary, requestedAt, forced),
        this.#series.setBaseline(series, requestedAt, forced),
      ];
      this.#behind = fits.includes('behind') ? this.#behind + 1 : 0;
      this.#unsettled = fits.some((fit) => fit !== 'settled');
      this.#queueRender();
    });
    this.#failures = read ? 0 : this.#failures + 1;
    this.#notBefore = read ? 0 : retryAfterFailures(this.#failures, Date.now());
  }

  async #loadRecent(): Promise<void> {
    await this.#guard(async () => {
      const page = await this.api.events(await this.#token(), this.session.accountId, { limit: 50 });
      this.#history(page.events);
    });
  }

  /** Runs a read; a 401 ends the session, anything else waits for the next refresh. Whether it worked. */
  async #guard(read: () => Promise<unknown>): Promise<boolean> {
    try {
      await read();
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401)
        this.#end('Your session has ended. Sign in again.');
      return false;
    }
  }

  /** The current token, renewed first when it is about to expire. */
  async #token(): Promise<string> {
    if (renewalAt(this.session) !== undefined && this.session.expiresAt - Date.now() < RENEW_BEFORE_MS) {
      await this.#renew();
    }
    return this.session.token;
  }

  async #renew(): Promise<void> {
    const grant = await this.api.renew(this.session.token);
    this.session = sessionFromGrant(grant);
    this.sessions.save(this.session);
    this.#scheduleRenewal();
  }

  #scheduleRenewal(): void {
    clearTimeout(this.#renewTimer);
    const at = renewalAt(this.session);
    const endsAt = at ?? this.session.expiresAt;
    this.#renewTimer = setTimeout(
      () => {
        if (at === undefined) {
          this.#end('Your session has ended after 12 hours. Sign in again.');
          return;
        }
        this.#renew().catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 401)
            this.#end('Your session has ended. Sign in again.');
          else this.#renewTimer = setTimeout(() => this.#scheduleRenewal(), RENEW_RETRY_MS);
        });
      },
      Math.max(1000, endsAt - Date.now()),
    );
  }

  #end(message: string): void {
    if (this.#stopped) return;
    this.stop();
    this.ended(message);
  }

  #queueRender(): void {
    if (this.#renderQueued || this.#stopped) return;
    this.#renderQueued = true;
    requestAnimationFrame(() => {
      this.#renderQueued = false;
      if (!this.#stopped) this.#render();
    });
  }

  #render(): void {
    // The minutes of the chart are the server's (its buckets, the events' timestamps).
    const now = serverNow(this.session);
    const points = this.#series.points(now);
    const newest = this.#feed.view({ type: '', user: '' }, 1)[0];
    this.#summaryView.render({
      total: this.#types.total(),
      uniqueUsers: this.#summary?.unique_users,
      thisMinute: points[points.length - 1]?.events ?? 0,
      lastEventAt: newest?.timestamp,
      byType: this.#types.counts(),
      summary: this.#summary,
    });
    this.#chart.render(points);
    this.#feedView.render();
  }
}
