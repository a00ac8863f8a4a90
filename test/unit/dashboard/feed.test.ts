import { describe, expect, it } from 'vitest';
import { Feed } from '../../../dashboard/src/feed.js';
import type { LiveEvent } from '../../../dashboard/src/types.js';

let sequence = 0;
function event(overrides: Partial<LiveEvent> = {}): LiveEvent {
  sequence += 1;
  return {
    event_id: `e${sequence}`,
    type: 'page_view',
    timestamp: `2026-01-15T10:00:${String(sequence % 60).padStart(2, '0')}.000Z`,
    ...overrides,
  };
}

describe('Feed', () => {
  it('keeps each event once, newest first, and says which ones are new', () => {
    // Prepare
    const feed = new Feed();
    const [a, b, c] = [
      event({ timestamp: '2026-01-15T10:00:01Z' }),
      event({ timestamp: '2026-01-15T10:00:03Z' }),
      event({ timestamp: '2026-01-15T10:00:02Z' }),
    ];

    // Act
    const first = feed.add([a, b]);
    const second = feed.add([b, c, a]);

    // Assess
    expect(first).toEqual([a, b]);
    expect(second).toEqual([c]);
    expect(feed.view({ type: '', user: '' }).map((shown) => shown.event_id)).toEqual(
      [b, c, a].map((e) => e?.event_id),
    );
  });

  it('keeps at most its capacity, the newest', () => {
    const feed = new Feed(3);
    const events = Array.from({ length: 5 }, (_, index) =>
      event({ timestamp: `2026-01-15T10:00:0${index}Z` }),
    );

    feed.add(events);

    expect(feed.view({ type: '', user: '' }).map((shown) => shown.timestamp)).toEqual([
      '2026-01-15T10:00:04Z',
      '2026-01-15T10:00:03Z',
      '2026-01-15T10:00:02Z',
    ]);
  });

  it('filters by exact type and by part of the user, in any case, user_id else anonymous_id', () => {
    // Prepare
    const feed = new Feed();
    const ann = event({ type: 'login', user_id: 'Ann.Smith' });
    const anonymous = event({ type: 'login', anonymous_id: 'anon-ann' });
    const bob = event({ type: 'login_failed', user_id: 'bob' });
    feed.add([ann, anonymous, bob]);

    // Act
    const logins = feed.view({ type: 'login', user: '' });
    const anns = feed.view({ type: '', user: ' ANN ' });

    // Assess
    expect(new Set(logins)).toEqual(new Set([ann, anonymous]));
    expect(new Set(anns)).toEqual(new Set([ann, anonymous]));
    expect(feed.types()).toEqual(['login', 'login_failed']);
  });

  it('stands still while paused, counting what arrives, and shows it all on resume', () => {
    // Prepare
    const feed = new Feed();
    feed.add([event()]);
    feed.pause();

    // Act
    feed.add([event(), event()]);
    const whilePaused = feed.view({ type: '', user: '' }).length;
    const arrived = feed.arrivedWhilePaused;
    feed.resume();

    // Assess
    expect(whilePaused).toBe(1);
    expect(arrived).toBe(2);
    expect(feed.view({ type: '', user: '' })).toHaveLength(3);
    expect(feed.arrivedWhilePaused).toBe(0);
  });

  it('ignores anything without an event id', () => {
    const feed = new Feed();
    const fresh = feed.add([{ type: 'x' } as unknown as LiveEvent, null as unknown as LiveEvent]);
    expect(fresh).toEqual([]);
  });

  it('shows what arrived last first, so a client whose clock is an hour ahead cannot hold the feed', () => {
    // Prepare: a full feed of events stamped 59 minutes ahead, received at 10:00
    const feed = new Feed(500);
    const ahead = Array.from({ length: 500 }, () =>
      event({ timestamp: '2026-01-15T10:59:00.000Z', received_at: '2026-01-15T10:00:00.000Z' }),
    );
    feed.add(ahead);

    // Act: an event of a client on time, received a second later
    const onTime = event({ timestamp: '2026-01-15T10:00:01.000Z', received_at: '2026-01-15T10:00:01.000Z' });
    feed.add([onTime]);

    // Assess
    expect(feed.view({ type: '', user: '' }, 1)).toEqual([onTime]);
  });
});
