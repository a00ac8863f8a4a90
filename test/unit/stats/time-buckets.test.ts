import { describe, expect, it } from 'vitest';
import { bucketLabel } from '../../../lambdas/stats/rollup-model.js';
import { type Bucket, coverWindow, seriesBuckets } from '../../../lambdas/stats/time-buckets.js';

const at = (iso: string) => Date.parse(iso);
const labels = (buckets: Bucket[]) => buckets.map(bucketLabel);

/** Counts of each granularity in a cover. */
function shape(buckets: Bucket[]) {
  const counts: Record<string, number> = {};
  for (const { granularity } of buckets) counts[granularity] = (counts[granularity] ?? 0) + 1;
  return counts;
}

describe('coverWindow', () => {
  it('covers last_1h ending now with the minutes up to the hour, then whole hours up to now plus skew', () => {
    // Act: from 09:38, now 10:37:20, skew 1 h
    const cover = coverWindow(at('2026-01-15T09:38:00Z'), at('2026-01-15T11:37:20Z'), true);

    // Assess
    expect(shape(cover)).toEqual({ minute: 22, hour: 2 });
    expect(labels(cover).slice(-3)).toEqual(['m2026-01-15T09:59', 'h2026-01-15T10', 'h2026-01-15T11']);
  });

  it('covers a closed window exactly, coarsest first', () => {
    // Act
    const cover = coverWindow(at('2026-01-30T22:58:00Z'), at('2026-03-02T01:03:00Z'), false);

    // Assess
    expect(labels(cover)).toEqual([
      'm2026-01-30T22:58',
      'm2026-01-30T22:59',
      'h2026-01-30T23',
      'd2026-01-31',
      'M2026-02',
      'd2026-03-01',
      'h2026-03-02T00',
      'm2026-03-02T01:00',
      'm2026-03-02T01:01',
      'm2026-03-02T01:02',
    ]);
  });

  it('reads at most 59 + 23 + 30 + 2 buckets for any window ending now', () => {
    // Act: the worst start (one minute past a month's first hour... every level unaligned) and a skew past month end
    const cover = coverWindow(at('2026-01-01T00:01:00Z'), at('2026-02-01T00:30:00Z'), true);

    // Assess
    expect(cover.length).toBeLessThanOrEqual(59 + 23 + 30 + 2);
    expect(shape(cover)).toEqual({ minute: 59, hour: 23, day: 30, month: 1 });
  });

  it('reads one bucket per month for all-time', () => {
    expect(shape(coverWindow(at('2024-12-01T00:00:00Z'), at('2026-01-15T11:00:00Z'), true))).toEqual({
      month: 14,
    });
  });

  it('refuses a window that does not start on a whole minute', () => {
    expect(() => coverWindow(at('2026-01-15T09:38:30Z'), at('2026-01-15T10:00:00Z'), false)).toThrow(
      'whole minute',
    );
  });
});

describe('seriesBuckets', () => {
  it('lists every bucket of the range, months of uneven length included', () => {
    expect(labels(seriesBuckets(at('2026-02-27T00:00:00Z'), at('2026-03-02T00:00:00Z'), 'day'))).toEqual([
      'd2026-02-27',
      'd2026-02-28',
      'd2026-03-01',
    ]);
  });
});
