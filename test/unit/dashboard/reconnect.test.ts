import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../../../dashboard/src/backoff.js';
import { fillGap, GAP_OVERLAP_MS, gapStart, MAX_GAP_MS, MAX_GAP_PAGES } from '../../../dashboard/src/gap.js';
import { type ConnectionState, LiveSocket, type SocketLike } from '../../../dashboard/src/live-socket.js';
import type { LiveEvent } from '../../../dashboard/src/types.js';

/** A socket the test opens, feeds and closes by hand. */
class FakeSocket implements SocketLike {
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;
  onclose: ((close: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.();
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
  push(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

describe('backoffDelay', () => {
  it('doubles from half a second to at most 30 s, each delay at least half its step', () => {
    const lowest = [0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, undefined, () => 0));
    const highest = [0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, undefined, () => 1));
    expect(lowest).toEqual([250, 500, 1000, 2000, 15_000]);
    expect(highest).toEqual([500, 1000, 2000, 4000, 30_000]);
  });
});

describe('gap filling', () => {
  it('starts before the newest event seen or the drop, whichever is earlier, at most a day back', () => {
    const now = Date.parse('2026-01-15T12:00:00Z');
    expect(gapStart(now, now - 10_000, now - 60_000)).toBe(now - 60_000 - GAP_OVERLAP_MS);
    expect(gapStart(now, now - 10_000, now + 3_600_000)).toBe(now - 10_000 - GAP_OVERLAP_MS);
    expect(gapStart(now, now - 10_000, undefined)).toBe(now - 10_000 - GAP_OVERLAP_MS);
    expect(gapStart(now, now - 3 * MAX_GAP_MS, undefined)).toBe(now - MAX_GAP_MS);
  });

  it('reads page after page from that instant, and stops after a bounded number of pages', async () => {
    // Prepare: an endless history
    const asked: (string | undefined)[] = [];
    const received: LiveEvent[] = [];
    const readPage = async (from: string, cursor: string | undefined) => {
      asked.push(cursor);
      expect(from).toBe('2026-01-15T11:00:00.000Z');
      return {
        events: [{ event_id: `e${asked.length}`, type: 't', timestamp: from }],
        next_cursor: `c${asked.length}`,
      };
    };

    // Act
    const read = await fillGap(readPage, Date.parse('2026-01-15T11:00:00Z'), (events) =>
      received.push(...events),
    );

    // Assess
    expect(read).toBe(MAX_GAP_PAGES);
    expect(asked).toEqual([undefined, 'c1', 'c2', 'c3', 'c4']);
    expect(received).toHaveLength(MAX_GAP_PAGES);
  });
});

describe('LiveSocket', () => {
  let sockets: FakeSocket[];
  let states: ConnectionState[];
  let reconnections: number[];
  let drops: number[];
  let received: LiveEvent[];
  let live: LiveSocket;
  let token: string;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-01-15T10:00:00Z') });
    sockets = [];
    states = [];
    reconnections = [];
    drops = [];
    received = [];
    token = 'lt_first';
    live = new LiveSocket({
      url: async () => `ws://live/?token=${token}`,
      createSocket: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket;
      },
      onEvents: (events) => received.push(...events),
      onState: (state) => states.push(state),
      onReconnected: (droppedAt) => reconnections.push(droppedAt),
      onDropped: (at) => drops.push(at),
      random: () => 1,
    });
  });

  afterEach(() => {
    live.stop();
    vi.useRealTimers();
  });

  const last = <T>(list: T[]) => list[list.length - 1];

  it('hands pushed events on and ignores other messages', async () => {
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]?.open();

    sockets[0]?.push({ type: 'events', events: [{ event_id: 'a', type: 't', timestamp: 'x' }] });
    sockets[0]?.push({ type: 'pong' });
    sockets[0]?.onmessage?.({ data: 'not json' });

    expect(received.map((event) => event.event_id)).toEqual(['a']);
    expect(last(states)).toMatchObject({ kind: 'live' });
  });

  it('says when the server dropped events instead of pushing them, so that the page reads them', async () => {
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]?.open();

    sockets[0]?.push({ type: 'dropped', reason: 'live push is behind' });

    expect(drops).toEqual([Date.parse('2026-01-15T10:00:00Z')]);
    expect(received).toEqual([]);
  });

  it('pings every 5 minutes, inside API Gateway’s 10-minute idle timeout', async () => {
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]?.open();

    await vi.advanceTimersByTimeAsync(10 * 60_000);

    expect(sockets[0]?.sent).toEqual([
      JSON.stringify({ action: 'ping' }),
      JSON.stringify({ action: 'ping' }),
    ]);
  });

  it('reconnects after a drop with growing delays, with a fresh URL, and reports when it dropped', async () => {
    // Prepare: a live connection
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]?.open();
    const droppedAt = Date.now();

    // Act: it drops; the first two attempts fail; the third opens with a renewed token
    sockets[0]?.drop(1001);
    const firstWait = last(states);
    await vi.advanceTimersByTimeAsync(500);
    sockets[1]?.drop();
    const secondWait = last(states);
    await vi.advanceTimersByTimeAsync(1000);
    sockets[2]?.drop();
    token = 'lt_renewed';
    await vi.advanceTimersByTimeAsync(2000);
    sockets[3]?.open();

    // Assess
    expect(firstWait).toMatchObject({ kind: 'waiting', attempt: 1, retryAt: droppedAt + 500 });
    expect(secondWait).toMatchObject({ kind: 'waiting', attempt: 2 });
    expect(sockets).toHaveLength(4);
    expect(sockets[3]?.url).toBe('ws://live/?token=lt_renewed');
    expect(reconnections).toEqual([droppedAt]);
    expect(last(states)).toMatchObject({ kind: 'live' });
  });

  it('starts from the shortest delay again after a connection that stayed up', async () => {
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]?.open();
    sockets[0]?.drop();
    await vi.advanceTimersByTimeAsync(500);
    sockets[1]?.open();
    await vi.advanceTimersByTimeAsync(60_000);

    sockets[1]?.drop();

    expect(last(states)).toMatchObject({ kind: 'waiting', attempt: 1, retryAt: Date.now() + 500 });
  });

  it('retries at once when asked, and never again once stopped', async () => {
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]?.drop();

    live.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    live.stop();
    sockets[1]?.drop();
    await vi.advanceTimersByTimeAsync(120_000);

    expect(sockets).toHaveLength(2);
    expect(sockets[1]?.closed).toBe(true);
    expect(last(states)).toEqual({ kind: 'stopped' });
  });
});
