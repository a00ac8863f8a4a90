import { describe, expect, it } from 'vitest';
import { retryPending } from '../../../lambdas/shared/retry.js';
import { fakeTiming } from '../../helpers/factories.js';

describe('retryPending', () => {
  it('retries only what is still pending until nothing is left', async () => {
    // Prepare
    const timing = fakeTiming();
    const seen: number[][] = [];

    // Act
    const outcome = await retryPending(
      [1, 2, 3],
      async (pending) => {
        seen.push(pending);
        return pending.filter((item) => item === 3 && seen.length < 3);
      },
      { deadline: timing.now() + 10_000, timing },
    );

    // Assess
    expect(seen).toEqual([[1, 2, 3], [3], [3]]);
    expect(outcome).toEqual({ remaining: [], attempts: 3 });
  });

  it('stops when the next backoff would cross the deadline', async () => {
    // Prepare
    const timing = fakeTiming();

    // Act
    const outcome = await retryPending([1], async (pending) => pending, {
      deadline: timing.now() + 300,
      timing,
      backoff: { baseDelayMs: 100, maxDelayMs: 1000 },
    });

    // Assess: delays 50, 100, 200 (random 0.5) -> the third would end past the deadline.
    expect(timing.slept).toEqual([50, 100]);
    expect(outcome).toEqual({ remaining: [1], attempts: 3 });
  });
});
