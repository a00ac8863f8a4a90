/**
 * Counts by event type, with the aggregates of `value` (count, sum, min, max) per type: exact, and
 * mergeable by addition.
 *
 * Bounded: a bucket keeps at most 100 types. When an account sends more distinct types in one bucket,
 * the types with the smallest counts are folded into one `(other)` entry (a name no event type can
 * have), so totals stay exact while the item keeps its fixed maximum size.
 */

/** Types kept per bucket before the rarest are folded into `(other)`. */
export const MAX_TYPES = 100;
/** The entry the folded types are counted under; parentheses are not allowed in event types. */
export const OTHER_TYPES = '(other)';

/** `[count, sum, min, max]` of the values seen; absent when none was. */
export type ValueJson = [number, number, number, number];

/** count, sum, min and max of `value`, mergeable by addition. */
export class ValueAggregate {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  add(value: number): this {
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    return this;
  }

  merge(other: ValueAggregate): this {
    if (other.count === 0) return this;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    return this;
  }

  toJSON(): ValueJson | undefined {
    return this.count === 0 ? undefined : [this.count, this.sum, this.min, this.max];
  }

  /** The API shape, or `undefined` when no event carried a value. */
  toResponse(): { count: number; sum: number; min: number; max: number } | undefined {
    return this.count === 0 ? undefined : { count: this.count, sum: this.sum, min: this.min, max: this.max };
  }

  static fromJSON(json: ValueJson | undefined | null): ValueAggregate {
    const aggregate = new ValueAggregate();
    if (json) [aggregate.count, aggregate.sum, aggregate.min, aggregate.max] = json;
    return aggregate;
  }
}

export interface TypeEntry {
  count: number;
  value: ValueAggregate;
}

/** Serialized: `[type, count, value?]` per type, `(other)` included when non-zero. */
export type TypeCountsJson = [string, number, ValueJson?][];

export class TypeCounts {
  readonly types = new Map<string, TypeEntry>();

  constructor(readonly maxTypes = MAX_TYPES) {}

  /** Counts one event of `type`, with its value if it carries one. */
  add(type: string, value?: number): this {
    const entry = this.entry(type);
    entry.count += 1;
    if (value !== undefined) entry.value.add(value);
    return this.types.size > 2 * this.maxTypes + 1 ? this.compact() : this;
  }

  merge(other: TypeCounts): this {
    for (const [type, theirs] of other.types) {
      const entry = this.entry(type);
      entry.count += theirs.count;
      entry.value.merge(theirs.value);
    }
    return this.compact();
  }

  /** Events counted, `(other)` included. */
  total(): number {
    let total = 0;
    for (const { count } of this.types.values()) total += count;
    return total;
  }

  /** Value aggregates over every type. */
  allValues(): ValueAggregate {
    const all = new ValueAggregate();
    for (const { value } of this.types.values()) all.merge(value);
    return all;
  }

  /** Folds all but the `maxTypes` largest types into `(other)`. */
  compact(): this {
    const named = [...this.types].filter(([type]) => type !== OTHER_TYPES);
    if (named.length <= this.maxTypes) return this;
    named.sort(([typeA, a], [typeB, b]) => b.count - a.count || (typeA < typeB ? -1 : 1));
    const other = this.entry(OTHER_TYPES);
    for (const [type, entry] of named.slice(this.maxTypes)) {
      other.count += entry.count;
      other.value.merge(entry.value);
      this.types.delete(type);
    }
    return this;
  }

  toJSON(): TypeCountsJson {
    this.compact();
    return [...this.types].map(([type, { count, value }]) => {
      const values = value.toJSON();
      return values ? [type, count, values] : [type, count];
    });
  }

  static fromJSON(json: TypeCountsJson, maxTypes = MAX_TYPES): TypeCounts {
    const counts = new TypeCounts(maxTypes);
    for (const [type, count, values] of json) {
      counts.types.set(type, { count, value: ValueAggregate.fromJSON(values) });
    }
    return counts;
  }

  private entry(type: string): TypeEntry {
    let entry = this.types.get(type);
    if (!entry) {
      entry = { count: 0, value: new ValueAggregate() };
      this.types.set(type, entry);
    }
    return entry;
  }
}
