/**
 * What a warm stats function keeps between requests: the decoded state of each rollup sub-item with
 * the version it was decoded from, and the shards each account's registry listed. A sub-item's state
 * never changes without its version changing (every write increments it), so a cached state is used
 * only when a read of the item's current version matches: the answer is never stale, only cheaper
 * (the item is not transferred and decoded again). Bounded (least recently used first out).
 */
import type { RollupState } from './rollup-model.js';

export class RollupStateCache {
  private readonly states = new Map<string, { version: number; state: RollupState }>();
  readonly shards = new Map<string, string[]>();

  constructor(readonly maxEntries = 4000) {}

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
    this.states.delete(pk);
    this.states.set(pk, { version, state });
    if (this.states.size > this.maxEntries) {
      const oldest = this.states.keys().next().value as string;
      this.states.delete(oldest);
    }
    if (this.shards.size > this.maxEntries) this.shards.clear();
  }
}
