import { afterEach, describe, expect, it, vi } from 'vitest';
import { STATUS_CHECK_WAIT_MS, settledWithin } from '../../../cli/commands/status.js';

afterEach(() => {
  vi.useRealTimers();
});

describe("status's checks", () => {
  it('name a server that accepts and never answers after the wait, not after the clients’ 30 s', async () => {
    // Prepare: a check that never settles (a paused server)
    vi.useFakeTimers();
    const check = settledWithin(new Promise<never>(() => {}));

    // Act
    await vi.advanceTimersByTimeAsync(STATUS_CHECK_WAIT_MS);

    // Assess
    const result = await check;
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toEqual(
      new Error(`no answer in ${STATUS_CHECK_WAIT_MS / 1000} s`),
    );
    expect(STATUS_CHECK_WAIT_MS).toBeLessThan(30_000);
  });

  it('keep what a check answered in time, and its own error', async () => {
    // Act
    const answered = await settledWithin(Promise.resolve('green'), 1_000);
    const failed = await settledWithin(Promise.reject(new Error('ECONNREFUSED')), 1_000);

    // Assess
    expect(answered).toEqual({ status: 'fulfilled', value: 'green' });
    expect(failed).toEqual({ status: 'rejected', reason: new Error('ECONNREFUSED') });
  });
});
