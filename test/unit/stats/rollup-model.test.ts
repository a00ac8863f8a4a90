import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bucketLabel,
  expiresAtOf,
  factsOf,
  fromItem,
  isRetained,
  markerKey,
  ROLLUP_ITEM_MAX_BYTES,
  RollupState,
  rollupKey,
  sequenceAfter,
  shardsWritingSince,
  stateOf,
  toItem,
} from '../../../lambdas/stats/rollup-model.js';
import { MAX_TYPES, OTHER_TYPES, TypeCounts } from '../../../lambdas/stats/sketches/type-counts.js';
import type { Bucket } from '../../../lambdas/stats/time-buckets.js';
import { storedEvent } from '../../helpers/factories.js';

const day: Bucket = { granularity: 'day', start: Date.parse('2026-01-15T00:00:00Z') };

/** DynamoDB's measure of an item: attribute names plus values (numbers counted generously). */
function itemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (value instanceof Uint8Array) bytes += value.length;
    else bytes += 21;
  }
  return bytes;
}

describe('rollup keys', () => {
  it('length-prefixes the account, so no account and event id combine into another key', () => {
    expect(markerKey('a#b', 'c').pk).not.toBe(markerKey('a', 'b#c').pk);
    expect(rollupKey('acct-1', day, 'shardId-000000000000')).toEqual({
      pk: 'R#6:acct-1#d2026-01-15#shardId-000000000000',
      sk: 'R',
    });
  });

  it('labels every granularity in UTC', () => {
    const at = Date.parse('2026-01-15T10:37:00Z');
    expect(
      (['minute', 'hour', 'day', 'month'] as const).map((granularity) =>
        bucketLabel({ granularity, start: at }),
      ),
    ).toEqual(['m2026-01-15T10:37', 'h2026-01-15T10', 'd2026-01-15', 'M2026-01']);
  });

  it('compares Kinesis sequence numbers as integers, not strings', () => {
    expect(sequenceAfter('49590338271490256608559692538361571095921575989136588898', '9')).toBe(true);
    expect(sequenceAfter('10', '9')).toBe(true);
    expect(sequenceAfter('9', '10')).toBe(false);
    expect(sequenceAfter('1', '')).toBe(true);
  });
});

describe('retention', () => {
  it('keeps minutes 32 days and the other buckets 400 days after they end', () => {
    const minute: Bucket = { granularity: 'minute', start: Date.parse('2026-01-15T10:37:00Z') };
    expect(expiresAtOf(minute) * 1000).toBe(Date.parse('2026-02-16T10:38:00Z'));
    expect(expiresAtOf(day) * 1000).toBe(Date.parse('2027-02-20T00:00:00Z'));
    expect(isRetained(minute, Date.parse('2026-02-16T10:37:59Z'))).toBe(true);
    expect(isRetained(minute, Date.parse('2026-02-16T10:38:00Z'))).toBe(false);
  });
});

describe('RollupState', () => {
  it('round-trips through its item', () => {
    // Prepare
    const state = new RollupState();
    state.add(factsOf(storedEvent({ type: 'page_view', user_id: 'u1', path: '/a' })));
    state.add(factsOf(storedEvent({ type: 'purchase', anonymous_id: 'anon', value: 3 })));
    const key = rollupKey('acct-1', day, 'shardId-000000000000');

    // Act
    const item = toItem({ key, bucket: day, version: 4, sequence: '123', state });
    const back = fromItem(key, day, item);

    // Assess
    expect(item).toMatchObject({ ...key, v: 4, seq: '123', n: 2, expiresAt: expiresAtOf(day) });
    expect(back.version).toBe(4);
    expect(back.sequence).toBe('123');
    expect(toItem(back)).toEqual(item);
    expect(back.state.topPaths.top(5)).toEqual([{ key: '/a', count: 1 }]);
  });

  it('counts only page views in top paths, and user_id else anonymous_id as the user', () => {
    // Act
    const facts = [
      factsOf(storedEvent({ type: 'click', path: '/not-a-view', user_id: 'u1', anonymous_id: 'a1' })),
      factsOf(storedEvent({ type: 'page_view', path: '/view', anonymous_id: 'a2' })),
    ];

    // Assess
    expect(facts.map((fact) => [fact.user, fact.path])).toEqual([
      ['u1', undefined],
      ['a2', '/view'],
    ]);
  });

  it('stays under its fixed maximum size whatever the traffic (no item grows with traffic)', () => {
    // Prepare: 50k events over 100 users and 100 paths of maximum size (incompressible, escapes
    // included), 500 types of maximum length, extreme values, every register at a random rank
    const users = Array.from({ length: 100 }, () => randomBytes(192).toString('base64'));
    const paths = Array.from(
      { length: 100 },
      () => `/${'\u0001'.repeat(30)}${randomBytes(60).toString('base64')}`,
    );
    const state = new RollupState();
    for (let index = 0; index < 50_000; index += 1) {
      state.add({
        at: day.start,
        type: `t${index % 500}-${'x'.repeat(62)}`.slice(0, 64),
        value: index % 2 === 0 ? -Number.MAX_VALUE / 3 : 1.2345678901234568e-300,
        user: users[index % 100],
        userHash: { index: index % 16_384, rank: 1 + ((randomBytes(1)[0] as number) % 51) },
        path: paths[index % 100],
      });
    }
    const key = rollupKey('a'.repeat(128), day, 'shardId-000000000000');

    // Act
    const item = toItem({ key, bucket: day, version: 1, sequence: '1'.repeat(56), state });

    // Assess
    expect(itemBytes(item)).toBeLessThanOrEqual(ROLLUP_ITEM_MAX_BYTES);
    expect(stateOf(item).total()).toBe(50_000);
  });
});

describe('TypeCounts', () => {
  it(`keeps ${MAX_TYPES} types and folds the rarest into ${OTHER_TYPES}, totals exact`, () => {
    // Prepare
    const counts = new TypeCounts();
    for (let type = 0; type <= MAX_TYPES; type += 1) {
      for (let repeat = 0; repeat <= type; repeat += 1) counts.add(`type-${type}`, type);
    }

    // Act
    const merged = new TypeCounts().merge(counts);

    // Assess: the 101st type (type-0, one event) is the rarest
    expect(merged.types.size).toBe(MAX_TYPES + 1);
    expect(merged.types.has('type-0')).toBe(false);
    expect(merged.types.get(OTHER_TYPES)?.count).toBe(1);
    expect(merged.total()).toBe(((MAX_TYPES + 1) * (MAX_TYPES + 2)) / 2);
    expect(merged.allValues().toResponse()).toMatchObject({ min: 0, max: MAX_TYPES });
  });
});

describe('shardsWritingSince', () => {
  it('lists the shards whose last write day may reach the window, skew included', () => {
    // Prepare
    const registry = {
      pk: 'S#6:acct-1',
      sk: 'S',
      'shard:shardId-000000000000': '2026-01-15',
      'shard:shardId-000000000001': '2025-12-01',
    };

    // Act
    const recent = shardsWritingSince(registry, Date.parse('2026-01-10T00:00:00Z'), 3_600_000);
    const all = shardsWritingSince(registry, Date.parse('2025-12-02T00:30:00Z'), 3_600_000);

    // Assess
    expect(recent).toEqual(['shardId-000000000000']);
    expect(all).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    expect(shardsWritingSince(undefined, 0, 0)).toEqual([]);
  });
});
