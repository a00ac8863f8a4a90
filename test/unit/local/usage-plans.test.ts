/**
 * The local gateway's usage-plan throttle: API Gateway's token bucket per usage identifier (a burst
 * at once, then the rate), so one key's flood never takes another key's tokens.
 */
import { describe, expect, it } from 'vitest';
import { UsagePlanThrottle } from '../../../local/gateway/usage-plans.js';

const limits = { rateLimit: 2, burstLimit: 3 };

describe('usage-plan throttle', () => {
  it('lets a burst through at once, then refuses until a token is back, saying when', () => {
    const throttle = new UsagePlanThrottle();

    const burst = [0, 1, 2].map(() => throttle.take('key-a', limits, 1_000));
    const over = throttle.take('key-a', limits, 1_000);

    expect(burst).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
    ]);
    expect(over).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Half a second at 2 per second brings one token back.
    expect(throttle.take('key-a', limits, 1_500)).toEqual({ allowed: true, remaining: 0 });
    expect(throttle.take('key-a', limits, 1_500).allowed).toBe(false);
  });

  it("never lets one key's flood take another key's tokens", () => {
    const throttle = new UsagePlanThrottle();
    for (let request = 0; request < 100; request += 1) throttle.take('flood', limits, 1_000);

    expect(throttle.take('flood', limits, 1_000).allowed).toBe(false);
    expect(throttle.take('quiet', limits, 1_000)).toEqual({ allowed: true, remaining: 2 });
  });

  it('refills at the rate, up to the burst and no more', () => {
    const throttle = new UsagePlanThrottle();
    for (let request = 0; request < 3; request += 1) throttle.take('key-a', limits, 0);

    // An hour later the bucket holds the burst, not 7,200 tokens.
    const after = [0, 1, 2, 3].map(() => throttle.take('key-a', limits, 3_600_000).allowed);

    expect(after).toEqual([true, true, true, false]);
  });

  it('refills nothing for a clock read before the last request (requests overlap)', () => {
    const throttle = new UsagePlanThrottle();
    for (let request = 0; request < 3; request += 1) throttle.take('key-a', limits, 2_000);

    const late = throttle.take('key-a', limits, 1_900);

    expect(late).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('holds a bucket only while it refills: keys seen once do not pile up for as long as the stack runs', () => {
    // Prepare: 5,000 keys used once each, and one key still throttled
    const throttle = new UsagePlanThrottle();
    for (let key = 0; key < 5_000; key += 1) throttle.take(`key-${key}`, limits, 0);
    for (let request = 0; request < 4; request += 1) throttle.take('flood', limits, 9_900);

    // Act: a new key, ten seconds later, when every one-use bucket is full again
    const fresh = throttle.take('new-key', limits, 10_000);

    // Assess: the full buckets are gone, the throttled one is kept and still refuses
    expect(fresh).toEqual({ allowed: true, remaining: 2 });
    expect(throttle.size).toBe(2);
    expect(throttle.take('flood', limits, 10_000).allowed).toBe(false);
  });
});
