/**
 * Top users and top paths: a Misra-Gries heavy-hitters summary with k counters, in the mergeable form
 * of Agarwal et al., "Mergeable Summaries" (PODS 2012). Space-Saving is the same summary seen from the
 * other side (its counts minus its minimum are these counts).
 *
 * Guarantee, for a summary of N weighted occurrences:
 * - every key that occurred more than N / (k + 1) times is in the summary;
 * - a reported count is never above the true count and at most `error` below it, and
 *   `error` <= N / (k + 1).
 * Merging two summaries adds their counters and then subtracts the (k + 1)-th largest counter from all
 * (dropping those that reach zero); the errors add up, so the bound holds for any tree of merges
 * (buckets of any window). Counts stay exact while fewer than k + 1 distinct keys were seen.
 *
 * Keys are bounded to 256 stored bytes (UTF-8 of their JSON form) so that the summary has a fixed maximum
 * size: a longer key is cut and suffixed with a hash of the whole key, so two long keys never merge.
 */
import { createHash } from 'node:crypto';

/** Counters per summary. */
export const HEAVY_HITTERS_CAPACITY = 100;
/** Longest key kept, in bytes of its serialized (JSON, UTF-8) form. */
export const SKETCH_KEY_MAX_BYTES = 256;

/** The serialized form: total, error, and the counters sorted by count (descending). */
export interface HeavyHittersJson {
  n: number;
  e: number;
  c: [string, number][];
}

export interface HeavyHitter {
  key: string;
  count: number;
}

export class HeavyHitters {
  readonly counts = new Map<string, number>();
  /** Total weight summarized (N). */
  total = 0;
  /** How far below its true count any reported count may be. */
  error = 0;

  constructor(readonly capacity = HEAVY_HITTERS_CAPACITY) {}

  /** Counts `weight` occurrences of `key` (exactly, until the summary is pruned). */
  add(key: string, weight = 1): this {
    const bounded = sketchKey(key);
    this.counts.set(bounded, (this.counts.get(bounded) ?? 0) + weight);
    this.total += weight;
    // Pruning sorts the counters; doing it only past 2k keeps adding O(1) amortized. Every prune
    // subtracts from at least k + 1 counters, so the error bound is the same.
    return this.counts.size > 2 * this.capacity ? this.prune() : this;
  }

  /** Merges `other` into this summary. */
  merge(other: HeavyHitters): this {
    for (const [key, count] of other.counts) this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    this.total += other.total;
    this.error += other.error;
    return this.prune();
  }

  /** The `limit` largest counters, largest first (ties by key, so answers are deterministic). */
  top(limit: number): HeavyHitter[] {
    this.prune();
    return [...this.counts]
      .sort(([keyA, a], [keyB, b]) => b - a || (keyA < keyB ? -1 : keyA > keyB ? 1 : 0))
      .slice(0, limit)
      .map(([key, count]) => ({ key, count }));
  }

  toJSON(): HeavyHittersJson {
    const counters = this.top(this.capacity).map(({ key, count }): [string, number] => [key, count]);
    return { n: this.total, e: this.error, c: counters };
  }

  static fromJSON(json: HeavyHittersJson, capacity = HEAVY_HITTERS_CAPACITY): HeavyHitters {
    const summary = new HeavyHitters(capacity);
    for (const [key, count] of json.c) summary.counts.set(key, count);
    summary.total = json.n;
    summary.error = json.e;
    return summary.prune();
  }

  /** Keeps at most `capacity` counters: subtracts the (k + 1)-th largest from all. */
  prune(): this {
    if (this.counts.size <= this.capacity) return this;
    const sorted = [...this.counts.values()].sort((a, b) => b - a);
    const cut = sorted[this.capacity] as number;
    for (const [key, count] of this.counts) {
      if (count <= cut) this.counts.delete(key);
      else this.counts.set(key, count - cut);
    }
    this.error += cut;
    return this;
  }
}

/** Bytes a string takes in the serialized summary: UTF-8 of its JSON form (escapes included). */
function storedBytes(value: string): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8') - 2;
}

/**
 * The key as the summary stores it: itself, or, past 256 stored bytes (UTF-8, JSON escapes counted), a
 * cut prefix plus a hash of the whole key.
 */
export function sketchKey(value: string): string {
  if (value.length <= SKETCH_KEY_MAX_BYTES / 6 || storedBytes(value) <= SKETCH_KEY_MAX_BYTES) return value;
  const suffix = `…#${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12)}`;
  const room = SKETCH_KEY_MAX_BYTES - storedBytes(suffix);
  let prefix = '';
  let bytes = 0;
  for (const char of value) {
    const size = storedBytes(char);
    if (bytes + size > room) break;
    prefix += char;
    bytes += size;
  }
  return `${prefix}${suffix}`;
}
