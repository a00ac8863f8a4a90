import { describe, expect, it } from 'vitest';
import { ROLLUP_CACHE_MAX_BYTES, RollupStateCache, stateBytes } from '../../../lambdas/stats/rollup-cache.js';
import { RollupState } from '../../../lambdas/stats/rollup-model.js';
import {
  HEAVY_HITTERS_CAPACITY,
  SKETCH_KEY_MAX_BYTES,
} from '../../../lambdas/stats/sketches/heavy-hitters.js';
import { MAX_TYPES } from '../../../lambdas/stats/sketches/type-counts.js';

/** A sub-item state at its largest: full top lists of the longest keys, every type named. */
function fullState(seed: number): RollupState {
  const state = new RollupState();
  for (let index = 0; index < HEAVY_HITTERS_CAPACITY; index += 1) {
    state.topUsers.add(`${seed}-user-${index}-`.padEnd(SKETCH_KEY_MAX_BYTES, 'u'));
    state.topPaths.add(`/${seed}/${index}/`.padEnd(SKETCH_KEY_MAX_BYTES, 'p'));
  }
  for (let index = 0; index < MAX_TYPES; index += 1) state.types.add(`type_${index}`.padEnd(64, 'x'), index);
  return state;
}

describe('the rollup state cache', () => {
  it('keeps the states of a busy account within its byte budget, evicting the least recently used', () => {
    // Prepare: a minute timeseries of 1,000 points, every sub-item full.
    const cache = new RollupStateCache();
    const perState = stateBytes(fullState(0));

    // Act
    for (let index = 0; index < 1000; index += 1) cache.set(`pk-${index}`, 1, fullState(index));

    // Assess: within the budget (where 4,000 full states would take ~4,000 x 160 KB), newest kept.
    expect(perState).toBeGreaterThan(100 * 1024);
    expect(cache.bytes).toBeLessThanOrEqual(ROLLUP_CACHE_MAX_BYTES);
    expect(cache.size).toBe(Math.floor(ROLLUP_CACHE_MAX_BYTES / perState));
    expect(cache.get('pk-0', 1)).toBeUndefined();
    expect(cache.get('pk-999', 1)).toBeDefined();
  });

  it('still holds thousands of the small states of quiet accounts', () => {
    // Prepare
    const cache = new RollupStateCache();

    // Act
    for (let index = 0; index < 4000; index += 1) {
      const state = new RollupState();
      state.types.add('page_view');
      state.topUsers.add(`user-${index}`);
      cache.set(`pk-${index}`, 1, state);
    }

    // Assess: the registers dominate, so the byte budget keeps nearly the entry limit.
    expect(cache.size).toBeGreaterThan(3500);
    expect(cache.bytes).toBeLessThanOrEqual(ROLLUP_CACHE_MAX_BYTES);
  });

  it('replacing a state at a new version counts its bytes once', () => {
    // Prepare
    const cache = new RollupStateCache();
    const state = fullState(1);

    // Act
    cache.set('pk', 1, state);
    cache.set('pk', 2, state);

    // Assess
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(stateBytes(state));
    expect(cache.get('pk', 1)).toBeUndefined();
    expect(cache.get('pk', 2)).toBe(state);
  });
});
