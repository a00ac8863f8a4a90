import { describe, expect, it } from 'vitest';
import { type SettleOptions, untilSettled } from '../../../cli/reconcile/settle.js';

/** A fake clock that `sleep` moves on, and a check whose missing counts come from a list, one per call. */
function scenario(missing: number[], overrides: Partial<SettleOptions> = {}) {
  let clock = 1_000_000;
  const waits: number[] = [];
  let calls = 0;
  const check = async () => {
    const index = Math.min(calls, missing.length - 1);
    calls += 1;
    clock += 100; // a check takes a moment
    return missing[index] as number;
  };
  const options: SettleOptions = {
    waitMs: 120_000,
    stallMs: 30_000,
    intervalMs: 5_000,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    onWait: (count) => waits.push(count),
    ...overrides,
  };
  return { run: () => untilSettled(check, (count) => count, options), waits, calls: () => calls };
}

describe('untilSettled', () => {
  it('checks once when nothing is missing', async () => {
    // Prepare
    const { run, calls } = scenario([0]);

    // Act
    const settled = await run();

    // Assess
    expect(settled).toMatchObject({ report: 0, ended: 'complete' });
    expect(calls()).toBe(1);
  });

  it('checks again while the missing events keep arriving, until none is missing', async () => {
    // Prepare: a backlog draining over four checks
    const { run, waits } = scenario([300, 120, 120, 40, 0]);

    // Act
    const settled = await run();

    // Assess
    expect(settled).toMatchObject({ report: 0, ended: 'complete' });
    expect(waits).toEqual([300, 120, 120, 40]);
  });

  it('stops once the number missing has not fallen for the stall time: a loss, not lag', async () => {
    // Prepare: two events never arrive
    const { run, calls } = scenario([10, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);

    // Act
    const settled = await run();

    // Assess: the last fall was at the second check; six more 5 s waits pass the 30 s stall
    expect(settled).toMatchObject({ report: 2, ended: 'stalled' });
    expect(calls()).toBe(8);
    expect(settled.waitedMs).toBeLessThan(60_000);
  });

  it('never waits past the deadline, even while events still arrive', async () => {
    // Prepare: one event a check, for ever
    const falling = Array.from({ length: 100 }, (_, index) => 100 - index);
    const { run, calls } = scenario(falling, { waitMs: 20_000 });

    // Act
    const settled = await run();

    // Assess
    expect(settled.ended).toBe('deadline');
    expect(settled.waitedMs).toBeLessThanOrEqual(20_000);
    expect(calls()).toBe(4);
  });

  it('checks once with no wait at all (--wait 0)', async () => {
    // Prepare
    const { run, calls, waits } = scenario([5, 0], { waitMs: 0 });

    // Act
    const settled = await run();

    // Assess
    expect(settled).toMatchObject({ report: 5, ended: 'deadline', waitedMs: 100 });
    expect(calls()).toBe(1);
    expect(waits).toEqual([]);
  });
});
