/**
 * A consumer's clock checked against the stream's. Kinesis stamps every record's arrival with its own
 * clock; a function's clock may be stepped (NTP) days ahead or back. Decisions that cannot be undone
 * are bounded by those arrivals, so a correct clock decides exactly as before and a wrong one cannot
 * delete, expire or drop what is still kept.
 */

/**
 * When retention is judged (buckets kept, indices pruned): `now`, but never after the oldest arrival,
 * so a clock stepped ahead takes nothing still kept for expired.
 */
export function retainedAt(now: number, arrivals: number[]): number {
  return Math.min(now, ...arrivals.filter(Number.isFinite));
}

/**
 * When an item with a TTL (a dedupe marker, an applied-log entry) is dated: `now`, but never before the
 * latest arrival, so DynamoDB's TTL (its own clock) does not take it early from a writer whose clock
 * was stepped back.
 */
export function datedAt(now: number, arrivals: number[]): number {
  return Math.max(now, ...arrivals.filter(Number.isFinite));
}
