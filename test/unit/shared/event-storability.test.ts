import { describe, expect, it } from 'vitest';
import {
  MAX_PROPERTIES_ARRAY_ITEMS,
  MAX_PROPERTIES_DEPTH,
  MAX_PROPERTIES_KEYS,
  MAX_PROPERTY_KEY_LENGTH,
} from '../../../lambdas/shared/event-limits.js';
import { storabilityErrors } from '../../../lambdas/shared/event-storability.js';
import { nestedArrays, nestedObjects } from '../../helpers/hostile-events.js';

/** `properties` nested `levels` deep in all (the properties object itself is level 1). */
const propertiesOfDepth = (levels: number, nest: (depth: number) => unknown) => ({
  type: 'x',
  properties: { a: nest(levels - 1) },
});

describe('storabilityErrors', () => {
  it.each([
    ['objects', (depth: number) => nestedObjects(depth)],
    ['arrays', (depth: number) => nestedArrays(depth)],
  ])(
    'accepts properties nested exactly at the depth limit with %s, and refuses one level more',
    (_, nest) => {
      // Act
      const atLimit = storabilityErrors(propertiesOfDepth(MAX_PROPERTIES_DEPTH, nest));
      const overLimit = storabilityErrors(propertiesOfDepth(MAX_PROPERTIES_DEPTH + 1, nest));

      // Assess
      expect(atLimit).toEqual([]);
      expect(overLimit).toHaveLength(1);
      expect(overLimit[0]?.message).toBe('nested more than 16 levels deep (the limit)');
      expect(overLimit[0]?.path.split('.')).toHaveLength(MAX_PROPERTIES_DEPTH + 1);
    },
  );

  it.each([4_100, 4_110, 100_000])('refuses %i levels of nesting at once, without recursion', (depth) => {
    // Act
    const errors = storabilityErrors({ type: 'x', properties: { a: nestedArrays(depth) } });

    // Assess
    expect(errors).toEqual([
      {
        path: `properties.a${'.0'.repeat(MAX_PROPERTIES_DEPTH - 1)}`,
        message: expect.stringMatching(/16 levels/),
      },
    ]);
  });

  it('bounds the depth of every field, not only properties, before anything else serializes it', () => {
    // Act
    const errors = storabilityErrors({ type: 'x', user_id: nestedArrays(50_000) });

    // Assess
    expect(errors[0]?.path).toMatch(/^user_id(\.0)+$/);
  });

  it('counts the keys of properties across the whole tree', () => {
    // Prepare
    const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]));
    const split = (count: number) => ({ a: keys(count - 3), b: { c: 1 } });

    // Act
    const atLimit = storabilityErrors({ type: 'x', properties: split(MAX_PROPERTIES_KEYS) });
    const overLimit = storabilityErrors({ type: 'x', properties: split(MAX_PROPERTIES_KEYS + 1) });

    // Assess
    expect(atLimit).toEqual([]);
    expect(overLimit).toEqual([{ path: 'properties', message: 'properties has more than 1000 keys in all' }]);
  });

  it('counts the elements of the arrays of properties across the whole tree', () => {
    // Prepare
    const items = (count: number) => ({ a: Array(count - 1).fill(0), b: [[]] });

    // Act
    const atLimit = storabilityErrors({ type: 'x', properties: items(MAX_PROPERTIES_ARRAY_ITEMS) });
    const overLimit = storabilityErrors({ type: 'x', properties: items(MAX_PROPERTIES_ARRAY_ITEMS + 1) });

    // Assess
    expect(atLimit).toEqual([]);
    expect(overLimit).toEqual([
      { path: 'properties', message: 'properties has more than 1000 array elements in all' },
    ]);
  });

  it('limits the length of a key, and refuses empty and reserved keys', () => {
    // Act
    const atLimit = storabilityErrors({
      type: 'x',
      properties: { ['k'.repeat(MAX_PROPERTY_KEY_LENGTH)]: 1 },
    });
    const errors = storabilityErrors({
      type: 'x',
      properties: { n: { ['k'.repeat(MAX_PROPERTY_KEY_LENGTH + 1)]: 1, '': 2 } },
    });
    const reserved = storabilityErrors(JSON.parse('{"type":"x","properties":{"a":{"__proto__":{"b":1}}}}'));

    // Assess
    expect(atLimit).toEqual([]);
    expect(errors).toEqual([
      { path: `properties.n.${'k'.repeat(64)}…`, message: 'key is 257 characters, over the limit of 256' },
      { path: 'properties.n', message: 'keys in properties must not be empty' },
    ]);
    expect(reserved).toEqual([{ path: 'properties.a', message: 'the key "__proto__" is reserved' }]);
  });

  it('accepts dotted keys, which flat_object indexes like the nested path they spell', () => {
    // Act
    const errors = storabilityErrors({
      type: 'x',
      properties: { 'utm.source': 'ad', utm: { source: 'ad' } },
    });

    // Assess
    expect(errors).toEqual([]);
  });

  it('refuses a lone surrogate in any string or key, and accepts a surrogate pair', () => {
    // Act
    const errors = storabilityErrors({
      type: 'x',
      user_id: 'u\ud800',
      event_id: '\udc00e',
      properties: { 'k\udbff': 1, list: ['ok', 'bad\ud83d'] },
    });
    const pair = storabilityErrors({
      type: 'x',
      user_id: '\ud83d\ude00',
      properties: { '\ud83d\ude00': '\ud83d\ude00' },
    });
    const fieldName = storabilityErrors({ type: 'x', 'f\ud800': 1 });

    // Assess
    expect(errors).toEqual([
      {
        path: 'user_id',
        message: 'value must be well-formed Unicode: lone UTF-16 surrogate \\uD800 at index 1',
      },
      {
        path: 'event_id',
        message: 'value must be well-formed Unicode: lone UTF-16 surrogate \\uDC00 at index 0',
      },
      {
        path: 'properties.k\ufffd',
        message: 'key must be well-formed Unicode: lone UTF-16 surrogate \\uDBFF at index 1',
      },
      {
        path: 'properties.list.1',
        message: 'value must be well-formed Unicode: lone UTF-16 surrogate \\uD83D at index 3',
      },
    ]);
    expect(pair).toEqual([]);
    expect(fieldName[0]?.message).toMatch(/^field name must be well-formed Unicode/);
  });

  it.each([null, [], [{ type: 'x' }], 'event', 42, true])('refuses a non-object event: %j', (event) => {
    // Act
    const errors = storabilityErrors(event);

    // Assess
    expect(errors).toEqual([{ path: '', message: 'event must be a JSON object' }]);
  });

  it('stops after a handful of errors and keeps each path short', () => {
    // Prepare
    const properties = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`${'k'.repeat(10_000)}${i}`, 'bad\ud800']),
    );

    // Act
    const errors = storabilityErrors({ type: 'x', properties });

    // Assess
    expect(errors).toHaveLength(10);
    for (const error of errors) expect(error.path.length).toBeLessThan(100);
  });
});
