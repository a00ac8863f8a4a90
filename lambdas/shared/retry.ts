/**
 * Retries of PARTIAL failures: the SDK's retry strategy retries a request that failed as a whole, but
 * PutRecords, `_bulk` and TransactWriteItems can succeed as requests while some entries fail. This is
 * the one helper that retries just those entries, with full-jitter exponential backoff, until they
 * succeed or the caller's deadline leaves no room for another attempt.
 */

export interface Backoff {
  /** First delay cap, doubled per attempt. */
  baseDelayMs: number;
  /** Upper bound of any single delay. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseDelayMs: 50, maxDelayMs: 2000 };

/** Time, sleep and randomness, injected so tests run instantly and deterministically. */
export interface Timing {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const realTiming: Timing = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * `realTiming` on a clock that only moves forward (monotonic since the process started), for deadlines
 * within one invocation: NTP stepping the wall clock back would put them off by the step, past the
 * function's own timeout.
 */
export const steadyTiming: Timing = {
  ...realTiming,
  // Whole milliseconds, as `Date.now()` (`AbortSignal.timeout` refuses a fraction).
  now: () => Math.floor(performance.timeOrigin + performance.now()),
};

export interface RetryOptions {
  /**
   * Epoch milliseconds after which no new attempt starts; a function is read before each retry (a
   * deadline that moves, e.g. a budget counted from the last progress).
   */
  deadline: number | (() => number);
  backoff?: Backoff;
  timing?: Timing;
  /** Upper bound on attempts, including the first; the deadline is the main bound. */
  maxAttempts?: number;
}

export interface RetryOutcome<T> {
  /** Items still failing after the last attempt (empty on success). */
  remaining: T[];
  attempts: number;
}

/**
 * Calls `attempt` with the pending items, then again with what it returns as still failing, backing
 * off between attempts, until nothing is pending, `maxAttempts` is reached, or the next attempt
 * could not start before `deadline`. The first attempt always runs.
 */
export async function retryPending<T>(
  items: T[],
  attempt: (pending: T[], attemptNumber: number) => Promise<T[]>,
  options: RetryOptions,
): Promise<RetryOutcome<T>> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const timing = options.timing ?? realTiming;
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  let pending = items;
  let attempts = 0;
  while (pending.length > 0) {
    if (attempts > 0) {
      const delay = jitteredDelay(attempts, backoff, timing.random);
      const deadline = typeof options.deadline === 'function' ? options.deadline() : options.deadline;
      if (attempts >= maxAttempts || timing.now() + delay >= deadline) break;
      await timing.sleep(delay);
    }
    attempts += 1;
    pending = await attempt(pending, attempts);
  }
  return { remaining: pending, attempts };
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, cap). */
export function jitteredDelay(retryNumber: number, backoff: Backoff, random: () => number): number {
  const cap = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (retryNumber - 1));
  return Math.floor(random() * cap);
}

/**
 * The deadline of work inside a Lambda invocation: the remaining time minus a safety margin for
 * answering, never before now.
 */
export function invocationDeadline(remainingMs: number, marginMs: number, now: number): number {
  return now + Math.max(0, remainingMs - marginMs);
}
