/**
 * The signed-in screen: wires the live socket, the stats API and the views. History comes from the
 * stats API (summary, minute series, recent events), then the live push moves everything on; after a
 * drop the gap is filled from `/events` and the baselines are read again; every minute they are read
 * again anyway, so counts converge on the rollups whatever the push missed or repeated.
 */
import { ApiError, type StatsApi } from './api.js';
import { byId } from './dom.js';
import { Feed } from './feed.js';
import { fillGap, GAP_PAGE_SIZE, gapStart } from './gap.js';
import { LiveSocket, type SocketLike } from './live-socket.js';
import { MinuteSeries, TypeCounts } from './live-totals.js';
import { RENEW_BEFORE_MS, renewalAt, type Session, type SessionStore, sessionFromGrant } from './session.js';
import type { DashboardConfig, LiveEvent, Summary } from './types.js';
import { ChartView } from './views/chart-view.js';
import { FeedView } from './views/feed-view.js';
import { StatusView } from './views/status-view.js';
import { SummaryView } from './views/summary-view.js';

const REFRESH_MS = 60_000;
/**
 * After live events, the baselines are read again once the push has been quiet this long: by then the
 * rollup writer, reading the same stream in parallel, has counted them too, and unique users and the top
 * lists (which only the rollups know) catch up.
 */
const SETTLED_AFTER_MS = 3_000;
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
    });
  }

  start(): void {
    byId('account').textContent = this.session.accountId;
    this.#socket.start();
    this.#scheduleRenewal();
    void this.#refresh();
    void this.#loadRecent();
    this.#timers.push(
      setInterval(() => void this.#refresh(), REFRESH_MS),
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
  }

  readonly #online = () => this.#socket.retryNow();

  /** Pushed events: the feed keeps the new ones, which then count. */
  #live(events: LiveEvent[]): void {
    const fresh = this.#feed.add(events);
    this.#types.add(fresh);
    this.#series.add(fresh);
    if (fresh.length === 0) return;
    this.#queueRender();
    clearTimeout(this.#settleTimer);
    this.#settleTimer = setTimeout(() => void this.#refresh(), SETTLED_AFTER_MS);
  }

  /** Events read from `/events` go to the feed only: the baselines count them already. */
  #history(events: LiveEvent[]): void {
    if (this.#feed.add(events).length > 0) this.#queueRender();
  }

  async #catchUp(droppedAt: number): Promise<void> {
    const from = gapStart(Date.now(), droppedAt, this.#feed.newestTimestamp());
    const readPage = async (fromIso: string, cursor: string | undefined) =>
      this.api.events(await this.#token(), this.session.accountId, {
        from: fromIso,
        cursor,
        limit: GAP_PAGE_SIZE,
      });
    await this.#guard(async () => {
      await fillGap(readPage, from, (events) => this.#history(events));
      await this.#refresh();
    });
    this.#timers.push(
      setTimeout(
        () => void this.#guard(() => fillGap(readPage, from, (events) => this.#history(events))),
        SECOND_GAP_FILL_MS,
      ),
    );
  }

  async #refresh(): Promise<void> {
    await this.#guard(async () => {
      const token = await this.#token();
      const [summary, series] = await Promise.all([
        this.api.summary(token, this.session.accountId),
        this.api.minuteSeries(token, this.session.accountId),
      ]);
      this.#summary = summary;
      this.#types.setBaseline(summary);
      this.#series.setBaseline(series);
      this.#queueRender();
    });
  }

  async #loadRecent(): Promise<void> {
    await this.#guard(async () => {
      const page = await this.api.events(await this.#token(), this.session.accountId, { limit: 50 });
      this.#history(page.events);
    });
  }

  /** Runs a read; a 401 ends the session, anything else waits for the next refresh. */
  async #guard(read: () => Promise<unknown>): Promise<void> {
    try {
      await read();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401)
        this.#end('Your session has ended. Sign in again.');
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
    const now = Date.now();
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
