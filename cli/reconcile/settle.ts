/**
 * Waiting for a run to arrive before calling its events missing. Right after `pipeline load` the
 * pipeline may still be indexing and counting the last events (batching windows, a backlog in a busy
 * rollup writer), and a single check would report them missing: a loss that is only lag. So the check
 * runs again while events are missing and their number keeps falling, up to a deadline. A pipeline
 * still delivering ends with nothing missing; an event really lost stays missing, and the wait ends once
 * nothing has moved for `stallMs`.
 */

export interface SettleOptions {
  /** The most to wait in all, from the first check (0: one check). */
  waitMs: number;
  /** Stop waiting once the number missing has not fallen for this long. */
  stallMs: number;
  /** Between checks. */
  intervalMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Told before each wait: how many are missing, and for how long nothing has moved. */
  onWait?: (missing: number, stalledMs: number) => void;
}

export interface Settled<R> {
  report: R;
  /** From the first check to the last. */
  waitedMs: number;
  /** Why the checks ended: nothing missing, the deadline, or no progress for `stallMs`. */
  ended: 'complete' | 'deadline' | 'stalled';
}

/** Runs `check` until `missingOf` its report is 0, the deadline passes, or the count stops falling. */
export async function untilSettled<R>(
  check: () => Promise<R>,
  missingOf: (report: R) => number,
  options: SettleOptions,
): Promise<Settled<R>> {
  const started = options.now();
  let report = await check();
  let fewest = missingOf(report);
  let movedAt = started;
  for (;;) {
    const missing = missingOf(report);
    const now = options.now();
    const waitedMs = now - started;
    if (missing === 0) return { report, waitedMs, ended: 'complete' };
    if (now + options.intervalMs > started + options.waitMs) return { report, waitedMs, ended: 'deadline' };
    if (now - movedAt >= options.stallMs) return { report, waitedMs, ended: 'stalled' };
    options.onWait?.(missing, now - movedAt);
    await options.sleep(options.intervalMs);
    report = await check();
    if (missingOf(report) < fewest) {
      fewest = missingOf(report);
      movedAt = options.now();
    }
  }
}
