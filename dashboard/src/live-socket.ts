/**
 * The page's WebSocket: connects with the current live token, hands pushed events on, keeps the
 * connection from going idle (API Gateway closes one after 10 minutes without a message), and when it
 * drops (a network change, a deploy, the idle timeout, API Gateway's 2-hour limit) reconnects with
 * backoff and says when it is back, with the time it dropped, so the gap can be filled.
 */
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import type { LiveEvent } from './types.js';

/** The part of the browser's `WebSocket` used here. */
export interface SocketLike {
  onopen: (() => void) | null;
  onmessage: ((message: { data: unknown }) => void) | null;
  onclose: ((close: { code: number }) => void) | null;
  onerror: (() => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live'; since: number }
  | { kind: 'waiting'; retryAt: number; attempt: number }
  | { kind: 'stopped' };

export interface LiveSocketOptions {
  /** The URL to connect to, with a valid token; asked before every attempt. */
  url: () => Promise<string>;
  createSocket: (url: string) => SocketLike;
  onEvents: (events: LiveEvent[]) => void;
  onState: (state: ConnectionState) => void;
  /** Called once a connection is open again after a drop, with the time it dropped. */
  onReconnected: (droppedAt: number) => void;
  /**
   * The server dropped events of this account instead of pushing them (live push behind, under the
   * load of a heavy account): read them from `/events`, as after a reconnect. Given when it said so.
   */
  onDropped?: (at: number) => void;
  now?: () => number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** A ping every 5 minutes keeps the connection inside API Gateway's 10-minute idle timeout. */
  pingIntervalMs?: number;
  /** A connection that lasted this long counts as healthy: the next drop retries from the first delay. */
  healthyAfterMs?: number;
}

export class LiveSocket {
  #socket: SocketLike | undefined;
  #attempt = 0;
  #openedAt: number | undefined;
  #droppedAt: number | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #stopped = true;
  readonly #now: () => number;

  constructor(private readonly options: LiveSocketOptions) {
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#connect();
  }

  /** Skips the wait before the next attempt (the browser is back online, or the user asked). */
  retryNow(): void {
    if (this.#stopped || this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    this.#retryTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, 'signed out');
    this.options.onState({ kind: 'stopped' });
  }

  async #connect(): Promise<void> {
    this.options.onState({ kind: 'connecting' });
    let url: string;
    try {
      url = await this.options.url();
    } catch {
      this.#dropped();
      return;
    }
    if (this.#stopped) return;
    const socket = this.options.createSocket(url);
    this.#socket = socket;
    socket.onopen = () => this.#opened(socket);
    socket.onmessage = (message) => this.#received(message.data);
    socket.onerror = () => undefined;
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      clearInterval(this.#pingTimer);
      this.#dropped();
    };
  }

  #opened(socket: SocketLike): void {
    if (this.#socket !== socket) return;
    this.#openedAt = this.#now();
    this.options.onState({ kind: 'live', since: this.#openedAt });
    this.#pingTimer = setInterval(
      () => socket.send(JSON.stringify({ action: 'ping' })),
      this.options.pingIntervalMs ?? 5 * 60_000,
    );
    const droppedAt = this.#droppedAt;
    this.#droppedAt = undefined;
    if (droppedAt !== undefined) this.options.onReconnected(droppedAt);
  }

  #received(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: { type?: unknown; events?: unknown };
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message?.type === 'events' && Array.isArray(message.events)) {
      this.options.onEvents(message.events as LiveEvent[]);
    } else if (message?.type === 'dropped') {
      this.options.onDropped?.(this.#now());
    }
  }

  /** A failed attempt or a dropped connection: wait, then try again. */
  #dropped(): void {
    if (this.#stopped) return;
    const now = this.#now();
    this.#droppedAt ??= now;
    const healthy =
      this.#openedAt !== undefined && now - this.#openedAt >= (this.options.healthyAfterMs ?? 10_000);
    this.#openedAt = undefined;
    if (healthy) this.#attempt = 0;
    const delay = backoffDelay(this.#attempt, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    this.options.onState({ kind: 'waiting', retryAt: now + delay, attempt: this.#attempt + 1 });
    this.#attempt += 1;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
  }
}
