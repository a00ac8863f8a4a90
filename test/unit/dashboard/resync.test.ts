import { describe, expect, it } from 'vitest';
import {
  FORCED_RESYNC_MS,
  QUIET_MS,
  RESYNC_MS,
  resyncDue,
  retryAfterFailures,
} from '../../../dashboard/src/resync.js';

const T0 = Date.parse('2026-01-15T10:00:00Z');
const SETTLED = { lastResyncAt: T0, lastLiveAt: T0, unsettled: false, notBefore: 0 };

describe('reading the baselines again', () => {
  it('happens every minute at a quiet moment, sooner when unsettled, and anyway after 5 minutes', () => {
    const quietAt = T0 + QUIET_MS;

    expect(resyncDue(SETTLED, quietAt)).toBe(false);
    expect(resyncDue(SETTLED, T0 + RESYNC_MS)).toBe(true);
    expect(resyncDue({ ...SETTLED, unsettled: true }, quietAt)).toBe(true);
    expect(resyncDue({ ...SETTLED, unsettled: true, lastLiveAt: quietAt }, quietAt + 1000)).toBe(false);
    expect(resyncDue({ ...SETTLED, lastLiveAt: T0 + FORCED_RESYNC_MS }, T0 + FORCED_RESYNC_MS)).toBe(true);
  });

  it('backs off after failed reads, to 5 minutes, instead of asking again every 5 seconds', () => {
    // Prepare: an unsettled page whose reads fail, tried every 5 seconds for an hour
    let state = { ...SETTLED, unsettled: true };
    let failures = 0;
    const reads: number[] = [];

    // Act
    for (let now = T0 + 5_000; now <= T0 + 3600_000; now += 5_000) {
      if (!resyncDue(state, now)) continue;
      reads.push(now);
      failures += 1;
      state = { ...state, lastResyncAt: now, notBefore: retryAfterFailures(failures, now, () => 0.5) };
    }

    // Assess: 21 reads in the hour, not 720; at most one each 5 minutes by the end
    const gaps = reads.slice(1).map((at, index) => at - (reads[index] ?? 0));
    expect(reads.length).toBeLessThan(25);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5 * 60_000);
    expect(gaps.slice(-5).every((gap) => gap >= 3.75 * 60_000)).toBe(true);
  });
});
