import { describe, expect, it } from 'vitest';
import {
  HEAVY_HITTERS_CAPACITY,
  HeavyHitters,
  SKETCH_KEY_MAX_BYTES,
  sketchKey,
} from '../../../lambdas/stats/sketches/heavy-hitters.js';
import { exactCounts, exactTop, seededRandom, zipfSampler } from '../../helpers/zipf.js';

/** 1e5 Zipf-distributed draws over 20,000 keys. */
function zipfStream(seed: number, count = 100_000): string[] {
  const draw = zipfSampler(20_000, 1, seededRandom(seed));
  return Array.from({ length: count }, () => `user-${draw()}`);
}

function summaryOf(keys: string[]): HeavyHitters {
  const summary = new HeavyHitters();
  for (const key of keys) summary.add(key);
  return summary;
}

describe('HeavyHitters (Misra-Gries, mergeable)', () => {
  it('is exact while it has seen at most k distinct keys', () => {
    // Act
    const summary = summaryOf(['a', 'b', 'a', 'c', 'a', 'b']);

    // Assess
    expect(summary.top(10)).toEqual([
      { key: 'a', count: 3 },
      { key: 'b', count: 2 },
      { key: 'c', count: 1 },
    ]);
    expect(summary.error).toBe(0);
  });

  it('keeps its guarantee on a Zipf stream: every key above N/(k+1) is present, counts low by at most error <= N/(k+1)', () => {
    // Prepare
    const stream = zipfStream(1);
    const exact = exactCounts(stream);

    // Act
    const summary = summaryOf(stream);

    // Assess
    const bound = stream.length / (HEAVY_HITTERS_CAPACITY + 1);
    expect(summary.error).toBeLessThanOrEqual(bound);
    expect(summary.counts.size).toBeLessThanOrEqual(HEAVY_HITTERS_CAPACITY);
    for (const [key, count] of exact) {
      const reported = summary.counts.get(key) ?? 0;
      if (count > bound) expect(summary.counts.has(key), key).toBe(true);
      expect(reported).toBeLessThanOrEqual(count);
      expect(count - reported).toBeLessThanOrEqual(summary.error);
    }
  });

  it('finds the exact top 10 of Zipf data merged from 30 buckets, in any merge order', () => {
    // Prepare: one summary per "day"
    const days = Array.from({ length: 30 }, (_, day) => zipfStream(100 + day, 5_000));
    const exact = exactTop(exactCounts(days.flat()), 10);
    const summaries = () => days.map(summaryOf);

    // Act
    const leftFold = summaries().reduce((merged, next) => merged.merge(next), new HeavyHitters());
    const rightFold = summaries().reduceRight((merged, next) => merged.merge(next), new HeavyHitters());
    const pairwise = (() => {
      let level = summaries();
      while (level.length > 1) {
        const next: HeavyHitters[] = [];
        for (let index = 0; index < level.length; index += 2) {
          next.push(
            level[index + 1]
              ? (level[index] as HeavyHitters).merge(level[index + 1] as HeavyHitters)
              : (level[index] as HeavyHitters),
          );
        }
        level = next;
      }
      return level[0] as HeavyHitters;
    })();

    // Assess
    for (const merged of [leftFold, rightFold, pairwise]) {
      expect(merged.top(10).map(({ key }) => key)).toEqual(exact);
      expect(merged.total).toBe(150_000);
      expect(merged.error).toBeLessThanOrEqual(150_000 / (HEAVY_HITTERS_CAPACITY + 1));
    }
  });

  it('round-trips through JSON', () => {
    // Prepare
    const summary = summaryOf(zipfStream(7, 20_000));

    // Act
    const copy = HeavyHitters.fromJSON(JSON.parse(JSON.stringify(summary.toJSON())));

    // Assess
    expect(copy.top(HEAVY_HITTERS_CAPACITY)).toEqual(summary.top(HEAVY_HITTERS_CAPACITY));
    expect([copy.total, copy.error]).toEqual([summary.total, summary.error]);
  });

  it('bounds keys to 256 bytes and keeps distinct long keys distinct', () => {
    // Prepare
    const long = (tail: string) => `/${'é'.repeat(600)}${tail}`;

    // Act
    const [a, b] = [sketchKey(long('a')), sketchKey(long('b'))];

    // Assess
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(SKETCH_KEY_MAX_BYTES);
    expect(a).not.toBe(b);
    expect(sketchKey('/short')).toBe('/short');
  });
});
