/**
 * Reconnection delays: exponential from `baseMs`, capped at `maxMs`, with "equal jitter" (half fixed,
 * half random), so a fleet of pages dropped together by a deploy or an outage does not come back in
 * lockstep, while each page still waits at least half the step.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/** The delay before reconnection attempt `attempt` (0 for the first retry). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random = Math.random,
): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (random() * step) / 2);
}
