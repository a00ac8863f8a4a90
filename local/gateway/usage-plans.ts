/**
 * API Gateway usage-plan throttling, per usage identifier (a key's API Gateway API key): a token bucket
 * holding at most `burstLimit` requests, refilled at `rateLimit` per second, as API Gateway documents
 * its throttling ("token bucket algorithm, where a token counts for a request"). Each key has a bucket
 * of its own, so one key's flood never takes another key's tokens. Pure: the clock is passed in.
 *
 * Locally the limits come with the authorizer's answer (the key's own, or the defaults); in AWS from
 * the usage plan the CLI put the key in, which has the same numbers.
 */

export interface PlanLimits {
  /** Requests per second, steady state. */
  rateLimit: number;
  /** Requests at once, at most. */
  burstLimit: number;
}

export type ThrottleDecision =
  | { allowed: true; remaining: number }
  | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** When the bucket is full again: from then on it is the same as no bucket. */
  fullAt: number;
}

/** Buckets held before the full ones are dropped: a key's bucket lives only while it is being refilled. */
const BUCKETS_BEFORE_SWEEP = 1_000;

/** The buckets of one API stage. */
export class UsagePlanThrottle {
  readonly #buckets = new Map<string, Bucket>();

  /** Buckets held now (keys seen whose bucket may not be full yet). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes a token for a request of `identifier` at `nowMs`, or says when one will be there. */
  take(identifier: string, limits: PlanLimits, nowMs: number): ThrottleDecision {
    const capacity = Math.max(1, limits.burstLimit);
    const bucket = this.#buckets.get(identifier) ?? { tokens: capacity, updatedAt: nowMs, fullAt: nowMs };
    // A clock read earlier than the bucket's last update (overlapping requests) refills nothing.
    const elapsedMs = Math.max(0, nowMs - bucket.updatedAt);
    const refilled = Math.min(capacity, bucket.tokens + (elapsedMs / 1000) * limits.rateLimit);
    bucket.updatedAt = Math.max(nowMs, bucket.updatedAt);
    const allowed = refilled >= 1;
    bucket.tokens = allowed ? refilled - 1 : refilled;
    bucket.fullAt = bucket.updatedAt + ((capacity - bucket.tokens) / limits.rateLimit) * 1000;
    if (!this.#buckets.has(identifier) && this.#buckets.size >= BUCKETS_BEFORE_SWEEP) this.#dropFull(nowMs);
    this.#buckets.set(identifier, bucket);
    if (allowed) return { allowed: true, remaining: Math.floor(bucket.tokens) };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - refilled) / limits.rateLimit)) };
  }

  /**
   * Drops the buckets that are full again. Without it every key ever used kept one for as long as the
   * stack ran (`load --accounts` makes new keys on every run); a full bucket and none decide alike.
   */
  #dropFull(nowMs: number): void {
    for (const [identifier, bucket] of this.#buckets) {
      if (bucket.fullAt <= nowMs) this.#buckets.delete(identifier);
    }
  }
}
