import { describe, expect, it } from 'vitest';
import {
  HLL_ERROR_BOUND,
  HLL_MAX_SERIALIZED_BYTES,
  HLL_STANDARD_ERROR,
  HyperLogLog,
} from '../../../lambdas/stats/sketches/hyperloglog.js';

function sketchOf(prefix: string, count: number, start = 0): HyperLogLog {
  const sketch = new HyperLogLog();
  for (let index = start; index < start + count; index += 1) sketch.add(`${prefix}-${index}`);
  return sketch;
}

describe('HyperLogLog', () => {
  it('states a standard error of 0.81 % and a 2 % bound (about 2.5 standard errors)', () => {
    expect(HLL_STANDARD_ERROR).toBeCloseTo(0.0081, 4);
    expect(HLL_ERROR_BOUND / HLL_STANDARD_ERROR).toBeGreaterThan(2.4);
  });

  it('estimates 1e5 synthetic users within the stated bound', () => {
    // Prepare
    const sketch = sketchOf('user', 100_000);

    // Act
    const estimate = sketch.estimate();

    // Assess
    expect(Math.abs(estimate - 100_000) / 100_000).toBeLessThan(HLL_ERROR_BOUND);
  });

  it.each([0, 1, 7, 100, 2_000, 20_000, 60_000])('estimates %i distinct values within the bound', (count) => {
    // Act
    const estimate = sketchOf(`run${count}`, count).estimate();

    // Assess
    expect(Math.abs(estimate - count)).toBeLessThanOrEqual(Math.ceil(count * HLL_ERROR_BOUND));
  });

  it('counts a repeated value once', () => {
    // Prepare
    const sketch = new HyperLogLog();

    // Act
    for (let round = 0; round < 1000; round += 1) sketch.add('same-user');

    // Assess
    expect(sketch.estimate()).toBe(1);
  });

  it('merges associatively, commutatively and idempotently (register-wise maximum)', () => {
    // Prepare
    const [a, b, c] = [sketchOf('a', 3000), sketchOf('b', 5000), sketchOf('a', 4000, 2000)];
    const copy = (sketch: HyperLogLog) => new HyperLogLog(new Uint8Array(sketch.registers));

    // Act
    const left = copy(a).merge(b).merge(c);
    const right = copy(a).merge(copy(b).merge(c));
    const reversed = copy(c).merge(b).merge(a);
    const twice = copy(left).merge(left);

    // Assess: a ∪ c = 6000 values, plus 5000
    expect(left.registers).toEqual(right.registers);
    expect(left.registers).toEqual(reversed.registers);
    expect(twice.registers).toEqual(left.registers);
    expect(Math.abs(left.estimate() - 11_000) / 11_000).toBeLessThan(HLL_ERROR_BOUND);
  });

  it('round-trips through its sparse and dense encodings', () => {
    // Prepare
    const small = sketchOf('few', 40);
    const large = sketchOf('many', 50_000);

    // Act
    const [smallBytes, largeBytes] = [small.serialize(), large.serialize()];

    // Assess
    expect(smallBytes[0]).toBe(1);
    expect(smallBytes.length).toBe(1 + 3 * 40);
    expect(largeBytes[0]).toBe(2);
    expect(HyperLogLog.deserialize(smallBytes).registers).toEqual(small.registers);
    expect(HyperLogLog.deserialize(largeBytes).registers).toEqual(large.registers);
  });

  it('never serializes larger than the dense register array, however many values it saw', () => {
    // Prepare: registers filled with high-entropy ranks, the worst case for compression
    const registers = new Uint8Array(16_384).map((_, index) => ((index * 2_654_435_761) >>> 26) + 1);

    // Act
    const bytes = new HyperLogLog(registers).serialize();

    // Assess
    expect(bytes.length).toBeLessThanOrEqual(HLL_MAX_SERIALIZED_BYTES);
    expect(sketchOf('any', 200_000).serialize().length).toBeLessThanOrEqual(HLL_MAX_SERIALIZED_BYTES);
  });

  it('rejects bytes it did not write', () => {
    expect(() => HyperLogLog.deserialize(new Uint8Array([9, 1, 2]))).toThrow('unknown HyperLogLog format 9');
    expect(() => HyperLogLog.deserialize(new Uint8Array([1, 1]))).toThrow('corrupt sparse HyperLogLog');
  });
});
