import { describe, expect, it } from 'vitest';
import {
  LiveTally,
  MAX_TYPES,
  MERGED_AFTER_MS,
  MinuteSeries,
  OTHER_TYPES,
  ROLLUP_LAG_MS,
  TypeCounts,
} from '../../../dashboard/src/live-totals.js';
import type { LiveEvent } from '../../../dashboard/src/types.js';
import {
  MAX_TYPES as SERVER_MAX_TYPES,
  OTHER_TYPES as SERVER_OTHER_TYPES,
} from '../../../lambdas/stats/sketches/type-counts.js';

const T0 = Date.parse('2026-01-15T10:30:00.000Z');
const event = (type: string, timestamp = '2026-01-15T10:29:30.000Z'): LiveEvent => ({
  event_id: `${type}-${Math.random()}`,
  type,
  timestamp,
});

describe('TypeCounts', () => {
  it('adds live events to the baseline, largest first', () => {
    const counts = new TypeCounts();
    counts.setBaseline({ totals_by_type: { login: 5, page_view: 3 } }, T0);

    counts.add([event('page_view'), event('page_view'), event('page_view'), event('signup')], T0 + 1000);

    expect(counts.counts()).toEqual([
      ['page_view', 6],
      ['login', 5],
      ['signup', 1],
    ]);
    expect(counts.total()).toBe(12);
  });

  it('drops, on a new baseline, what arrived long enough before it was asked for, and keeps the rest as unsettled', () => {
    // Prepare: two events long before the request, one just before it
    const counts = new TypeCounts();
    counts.setBaseline({ totals_by_type: {} }, T0);
    counts.add([event('login'), event('login')], T0 + 1_000);
    counts.add([event('login')], T0 + 9_000);

    // Act: the rollups have the first two when asked at T0 + 10 s; maybe not the third
    const unsettled = counts.setBaseline({ totals_by_type: { login: 2 } }, T0 + 10_000);
    const kept = counts.total();
    const settled = counts.setBaseline({ totals_by_type: { login: 3 } }, T0 + 9_000 + ROLLUP_LAG_MS);

    // Assess
    expect(unsettled).toBe('unsettled');
    expect(kept).toBe(3);
    expect(settled).toBe('settled');
    expect(counts.total()).toBe(3);
  });

  it('does not take a baseline that would make a count go down, unless forced', () => {
    // Prepare: three logins pushed and counted live
    const counts = new TypeCounts();
    counts.setBaseline({ totals_by_type: { page_view: 7 } }, T0);
    counts.add([event('login'), event('login'), event('login')], T0 + 1_000);

    // Act: rollups lagging far behind have one of them a minute later
    const behind = counts.setBaseline({ totals_by_type: { page_view: 7, login: 1 } }, T0 + 60_000);
    const shown = counts.counts();
    const forced = counts.setBaseline({ totals_by_type: { page_view: 6, login: 1 } }, T0 + 60_000, true);

    // Assess
    expect(behind).toBe('behind');
    expect(shown).toEqual([
      ['page_view', 7],
      ['login', 3],
    ]);
    expect(forced).toBe('settled');
    expect(counts.total()).toBe(7);
  });
});

describe('MinuteSeries', () => {
  it('lists the last hour minute by minute, baseline plus live events by their own minute', () => {
    // Prepare
    const series = new MinuteSeries(60);
    series.setBaseline(
      {
        buckets: [
          { start: '2026-01-15T10:29:00.000Z', events: 4 },
          { start: '2026-01-15T09:00:00.000Z', events: 9 },
        ],
      },
      T0,
    );

    // Act
    series.add([event('a', '2026-01-15T10:29:59.999Z'), event('b', '2026-01-15T10:30:10.000Z')], T0 + 500);
    const points = series.points(T0 + 20_000);

    // Assess
    expect(points).toHaveLength(60);
    expect(points[0]?.minute).toBe(Date.parse('2026-01-15T09:31:00.000Z'));
    expect(points.slice(-2)).toEqual([
      { minute: Date.parse('2026-01-15T10:29:00.000Z'), events: 5 },
      { minute: T0, events: 1 },
    ]);
    expect(points.reduce((sum, point) => sum + point.events, 0)).toBe(6);
  });
});

describe('TypeCounts of an account sending thousands of distinct types', () => {
  it('names as many types as the stats API and counts the others under (other), every event counted', () => {
    // Prepare: a baseline of the stats API, its 100 types named and the rest folded
    const counts = new TypeCounts();
    const baseline = Object.fromEntries(
      Array.from({ length: SERVER_MAX_TYPES }, (_, index) => [`type_${index}`, 2]),
    );
    counts.setBaseline({ totals_by_type: { ...baseline, [SERVER_OTHER_TYPES]: 7 } }, T0);

    // Act: 5,000 events of 5,000 new types, and one of a named type
    const flood = Array.from({ length: 5000 }, (_, index) => event(`flood_${index}`));
    counts.add([...flood, event('type_3')], T0 + 1000);

    // Assess
    const entries = counts.counts();
    expect(entries).toHaveLength(SERVER_MAX_TYPES + 1);
    expect(Object.fromEntries(entries)).toMatchObject({ [SERVER_OTHER_TYPES]: 5007, type_3: 3 });
    expect(counts.total()).toBe(SERVER_MAX_TYPES * 2 + 7 + 5001);
  });

  it('names new types as they come until there are as many as the stats API names', () => {
    // Prepare
    const counts = new TypeCounts();
    counts.setBaseline({ totals_by_type: { login: 5 } }, T0);

    // Act
    counts.add(
      Array.from({ length: MAX_TYPES + 10 }, (_, index) => event(`new_${index}`)),
      T0 + 1000,
    );

    // Assess
    const entries = Object.fromEntries(counts.counts());
    expect(Object.keys(entries)).toHaveLength(MAX_TYPES + 1);
    expect(entries).toMatchObject({ login: 5, new_0: 1, new_98: 1, [OTHER_TYPES]: 11 });
    expect(entries.new_99).toBeUndefined();
    expect([MAX_TYPES, OTHER_TYPES]).toEqual([SERVER_MAX_TYPES, SERVER_OTHER_TYPES]);
  });
});

describe('LiveTally of a page whose baselines keep failing', () => {
  it('keeps a bounded number of slots over hours of live counts, each still counted', () => {
    // Prepare
    const tally = new LiveTally<string>();
    tally.setBaseline([], T0);

    // Act: an event a second for 4 hours, no baseline taken
    for (let second = 0; second < 4 * 3600; second += 1) tally.add('login', T0 + second * 1000);

    // Assess
    expect(tally.get('login')).toBe(4 * 3600);
    expect(tally.liveSlots).toBeLessThanOrEqual(MERGED_AFTER_MS / 1000 + 2);
  });

  it('drops on a baseline what it would have dropped slot by slot, a request a minute late included', () => {
    // Prepare: 10 minutes of one event a second, merged and not
    const end = T0 + 600_000;
    const merged = new LiveTally<string>();
    for (let at = T0; at < end; at += 1000) merged.add('login', at);

    // Act: the baseline of a request sent a minute before its answer, then one sent now
    const late = merged.setBaseline([['login', 1000]], end - 60_000);
    const lateCount = merged.get('login');
    merged.setBaseline([['login', 1500]], end);

    // Assess: what arrived after 3 s before each request stays counted on top
    expect(late).toBe('unsettled');
    expect(lateCount).toBe(1000 + 62);
    expect(merged.get('login')).toBe(1500 + 2);
  });
});
