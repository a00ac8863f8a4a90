import { describe, expect, it } from 'vitest';
import { MinuteSeries, ROLLUP_LAG_MS, TypeCounts } from '../../../dashboard/src/live-totals.js';
import type { LiveEvent } from '../../../dashboard/src/types.js';

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
