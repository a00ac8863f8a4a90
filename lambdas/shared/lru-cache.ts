/**
 * Stands in for `mnemonist/lru-cache` in the function bundles (an esbuild alias: `BUNDLING.alias` in
 * lib/topology.ts). Its one user there is the SDK's endpoint-discovery cache (`@aws-sdk/endpoint-cache`,
 * created by every DynamoDB client), which calls `get`, `set`, `has`, `peek` and `clear`; mnemonist's
 * typed-array LRU weighs ~5 KB of each bundle, this one a few hundred bytes. A `Map` keeps insertion
 * order, so re-inserting a key on `get` or `set` makes it the most recent and the first key is the least.
 */
export default class LRUCache<K, V> {
  readonly #capacity: number;
  readonly #entries = new Map<K, V>();

  constructor(capacity: number) {
    if (!(capacity > 0)) throw new Error('LRUCache: capacity must be a positive number');
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value, without making it recent. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** Stores the value as the most recent, evicting the least recent entry when over capacity. */
  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value as K);
    }
    return this;
  }

  clear(): void {
    this.#entries.clear();
  }
}
