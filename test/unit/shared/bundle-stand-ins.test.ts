/**
 * The modules the function bundles use in place of a library (`BUNDLING.alias` in lib/topology.ts):
 * each does what its callers in the SDK need of the original.
 */

import { KinesisClient } from '@aws-sdk/client-kinesis';
import { EndpointCache } from '@aws-sdk/endpoint-cache';
import { resolveEventStreamSerdeConfig as realResolve } from '@smithy/core/event-streams';
import { describe, expect, it } from 'vitest';
import LRUCache from '../../../lambdas/shared/lru-cache.js';
import {
  EventStreamSerde,
  eventStreamSerdeProvider,
  resolveEventStreamSerdeConfig,
} from '../../../lambdas/shared/no-event-streams.js';

describe('lru-cache (for mnemonist/lru-cache)', () => {
  it('evicts the least recently used entry, where get makes an entry recent and peek does not', () => {
    // Prepare
    const cache = new LRUCache<string, number>(2);
    cache.set('a', 1).set('b', 2);

    // Act
    cache.get('a');
    cache.peek('b');
    cache.set('c', 3);

    // Assess
    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.size]).toEqual([true, false, true, 2]);
  });

  it('replaces a value in place and empties on clear', () => {
    // Prepare
    const cache = new LRUCache<string, number>(1);

    // Act
    cache.set('a', 1).set('a', 2);
    const kept = cache.get('a');
    cache.clear();

    // Assess
    expect([kept, cache.size, cache.get('a')]).toEqual([2, 0, undefined]);
  });

  it('refuses a capacity that is not positive', () => {
    // Act and Assess
    expect(() => new LRUCache(0)).toThrow('capacity must be a positive number');
  });
});

describe('no-event-streams (for @smithy/core/event-streams)', () => {
  const serialize = () => {
    throw new Error('unused');
  };
  const deserialize = serialize;

  it('resolves a client marshaller as the real module does, failing only when an event stream is used', () => {
    // Prepare
    const input = { eventStreamSerdeProvider };

    // Act
    const resolved = resolveEventStreamSerdeConfig(input);
    const real = realResolve({ eventStreamSerdeProvider: () => ({ serialize, deserialize }) });

    // Assess
    expect(Object.keys(resolved)).toEqual(Object.keys(real));
    const marshaller = resolved.eventStreamMarshaller as { serialize: () => unknown };
    expect(() => marshaller.serialize()).toThrow('event streams are not bundled');
    expect(() => new EventStreamSerde()).toThrow('event streams are not bundled');
  });

  it('lets a Kinesis client be created with it (the client resolves its marshaller at construction)', () => {
    // Act
    const client = new KinesisClient({ region: 'us-east-1', eventStreamSerdeProvider });

    // Assess
    expect(client.config.eventStreamMarshaller).toBeDefined();
  });
});

describe('the SDK endpoint cache over the stand-in LRU', () => {
  it('answers what it was given until the entry expires', () => {
    // Prepare: the SDK class, with its mnemonist LRU replaced as the bundle does.
    const cache = new EndpointCache(2);
    (cache as unknown as { cache: LRUCache<string, unknown> }).cache = new LRUCache(2);

    // Act
    cache.set('k', [{ Address: 'a.example', CachePeriodInMinutes: 1 }]);

    // Assess
    expect([cache.getEndpoint('k'), cache.has('missing')]).toEqual(['a.example', false]);
  });
});
