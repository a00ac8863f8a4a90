/**
 * What a warm stats function keeps between requests: the decoded state of each rollup sub-item with
 * the version it was decoded from, and the shards each account's registry listed. A sub-item's state
 * never changes without its version changing (every write increments it), so a cached state is used
 * only when a read of the item's current version matches: the answer is never stale, only cheaper
 * (the item is not transferred and decoded again).
 *
 * Bounded in entries and in bytes (least recently used first out): a decoded state is 16 KB of
 * HyperLogLog registers and up to ~100 KB more of top lists and types, so 4,000 states of a busy
 * account (three minute timeseries) would outgrow the function's 256 MB alone and end every later
 * request of every account on the instance with an out-of-memory crash.
 */
import type { RollupState } from './rollup-model.js';

/** Default byte budget: a quarter of the stats function's 256 MB. */
export const ROLLUP_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export class RollupStateCache {
  private readonly states = new Map<string, { version: number; state: RollupState; bytes: number }>();
  readonly shards = new Map<string, string[]>();
  /** Estimated bytes of the cached states. */
  private heldBytes = 0;

  constructor(
    readonly maxEntries = 4000,
    readonly maxBytes = ROLLUP_CACHE_MAX_BYTES,
  ) {}

  /** Estimated bytes the cached states take (`stateBytes` of each). */
  get bytes(): number {
    return this.heldBytes;
  }

  get size(): number {
    return this.states.size;
  }

  /** The state of `pk` at `version`, if cached. */
  get(pk: string, version: number): RollupState | undefined {
    const entry = this.states.get(pk);
    if (!entry || entry.version !== version) return undefined;
    this.states.delete(pk);
    this.states.set(pk, entry);
    return entry.state;
  }

  /** Whether some version of `pk` is cached (then reading versions first may pay). */
  knows(pk: string): boolean {
    return this.states.has(pk);
  }

  set(pk: string, version: number, state: RollupState): void {
    this.remove(pk);
    const bytes = stateBytes(state);
    // A state larger than the whole budget is not kept (it would evict everything for nothing).
    if (bytes <= this.maxBytes) {
      this.states.set(pk, { version, state, bytes });
      this.heldBytes += bytes;
    }
    while (this.states.size > this.maxEntries || this.heldBytes > this.maxBytes) {
      this.remove(this.states.keys().next().value as string);
    }
    if (this.shards.size > this.maxEntries) this.shards.clear();
  }

  private remove(pk: string): void {
    const entry = this.states.get(pk);
    if (!entry) return;
    this.states.delete(pk);
    this.heldBytes -= entry.bytes;
  }
}

/** Per-entry overhead of a Map entry and its objects (V8, generous). */
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * An upper estimate of the heap a decoded state holds: its registers, and each top-list key and type
 * name at two bytes a character (V8 keeps non-Latin-1 strings so) with its entry's overhead.
 */
export function stateBytes(state: RollupState): number {
  let bytes = state.users.registers.byteLength + 4 * ENTRY_OVERHEAD_BYTES;
  for (const sketch of [state.topUsers, state.topPaths]) {
    for (const key of sketch.counts.keys()) bytes += 2 * key.length + ENTRY_OVERHEAD_BYTES;
  }
  for (const type of state.types.types.keys()) bytes += 2 * type.length + 2 * ENTRY_OVERHEAD_BYTES;
  return bytes;
}
