/**
 * The modules the function bundles use in place of a library (`BUNDLING.alias` in lib/topology.ts):
 * each does what its callers in the SDK and opensearch-js need of the original. The SigV4 signer that
 * replaces `aws4` has a file of its own (sigv4-signer.test.ts).
 */

import { KinesisClient } from '@aws-sdk/client-kinesis';
import { EndpointCache } from '@aws-sdk/endpoint-cache';
import { Md5 as RealMd5, Sha256 as RealSha256 } from '@smithy/core/checksum';
import { resolveEventStreamSerdeConfig as realResolve } from '@smithy/core/event-streams';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDebug } from '../../../lambdas/shared/debug-log.js';
import { ms } from '../../../lambdas/shared/duration.js';
import LRUCache from '../../../lambdas/shared/lru-cache.js';
import {
  EventStreamSerde,
  eventStreamSerdeProvider,
  resolveEventStreamSerdeConfig,
} from '../../../lambdas/shared/no-event-streams.js';
import { Md5, Sha256 } from '../../../lambdas/shared/node-checksums.js';
import { realDebug, realMs } from '../../helpers/opensearch-dependencies.js';

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

describe('debug-log (for debug)', () => {
  const debugAtStart = process.env.DEBUG;

  afterEach(() => {
    // The real `debug` saves what it is given in process.env.DEBUG.
    realDebug.enable(debugAtStart ?? '');
    createDebug.enable(debugAtStart);
    vi.restoreAllMocks();
  });

  /** Whether each namespace is enabled under `patterns`, by the real `debug` and by the stand-in. */
  function enabledByBoth(patterns: string, namespaces: string[]) {
    realDebug.enable(patterns);
    createDebug.enable(patterns);
    return {
      ours: namespaces.map((namespace) => createDebug(namespace).enabled),
      theirs: namespaces.map((namespace) => realDebug(namespace).enabled),
    };
  }

  const NAMESPACES = ['opensearch', 'opensearch:transport', 'other', 'a.b', 'axb', 'op?nsearch', ''];

  it.each([
    '',
    '*',
    'opensearch',
    'opensearch*',
    'opensearch:*',
    '*search',
    'open*rch',
    '-opensearch',
    '*,-opensearch',
    '*  -opensearch:*',
    'other opensearch',
    ' other, ,opensearch ',
    'a.b',
    'op?nsearch',
    '-*',
    'opensearch,-opensearch',
    '-',
  ])('enables the namespaces debug enables under DEBUG=%j', (patterns) => {
    // Act
    const { ours, theirs } = enabledByBoth(patterns, NAMESPACES);

    // Assess
    expect(ours).toEqual(theirs);
  });

  it('agrees with debug on any patterns and namespaces', () => {
    // Prepare: few letters, so that patterns and namespaces often overlap.
    const letters = (extra: string) => fc.string({ unit: fc.constantFrom(...`ab:${extra}`), maxLength: 6 });
    const patterns = fc
      .array(letters('*-'), { maxLength: 4 })
      .chain((list) => fc.constantFrom(',', ' ', ', ').map((separator) => list.join(separator)));

    // Act and Assess
    fc.assert(
      fc.property(patterns, fc.array(letters(''), { minLength: 1, maxLength: 4 }), (given, namespaces) => {
        const { ours, theirs } = enabledByBoth(given, namespaces);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 500 },
    );
  });

  it('writes a formatted line to stderr only while its namespace is enabled', () => {
    // Prepare
    const write = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    const debug = createDebug('opensearch');

    // Act
    debug('Request %s took %d ms', 'search', 42);
    createDebug.enable('opensearch');
    debug('Request %s took %d ms', 'search', 42);

    // Assess
    expect(write).toHaveBeenCalledOnce();
    expect(write.mock.calls[0]?.[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z opensearch Request search took 42 ms\n$/,
    );
    expect([debug.namespace, debug.enabled]).toEqual(['opensearch', true]);
  });

  it('reads DEBUG when it loads, as debug does', async () => {
    // Prepare
    vi.resetModules();
    vi.stubEnv('DEBUG', 'opensearch*,-opensearch:noisy');

    // Act
    const { createDebug: loaded } = await import('../../../lambdas/shared/debug-log.js');
    vi.unstubAllEnvs();

    // Assess
    expect([loaded('opensearch').enabled, loaded('opensearch:noisy').enabled]).toEqual([true, false]);
  });
});

describe('duration (for ms)', () => {
  it.each([
    '30s',
    '30000',
    '1.5 hours',
    '.5m',
    '-2d',
    '1 Week',
    '3 YRS',
    '250msecs',
    '2 milliseconds',
    '10 mins',
    '1sec',
    '5  min',
    '1mo',
    's',
    '1.2.3s',
    ' 1s',
    'x'.repeat(101),
  ])('reads %j as ms does', (text) => {
    // Act and Assess
    expect(ms(text)).toBe(realMs(text));
  });

  it('reads any number and unit as ms does', () => {
    // Prepare
    const units = [
      '',
      'ms',
      'msec',
      'Seconds',
      's',
      'min',
      'm',
      'hr',
      'h',
      'days',
      'w',
      'y',
      'years',
      'q',
      'mss',
    ];
    const text = fc
      .tuple(
        fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
        fc.constantFrom('', ' ', '  '),
        fc.constantFrom(...units),
      )
      .map(([value, spaces, unit]) => `${value}${spaces}${unit}`);

    // Act and Assess
    fc.assert(fc.property(text, (given) => Object.is(ms(given), realMs(given))));
  });

  it('refuses to format milliseconds, which no caller in the functions asks of it', () => {
    // Act and Assess
    expect(() => ms(1000 as unknown as string)).toThrow('reads durations from text only');
  });
});

describe('node-checksums (for @smithy/core/checksum)', () => {
  const input = fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array());
  type Checksum = { update(data: string | Uint8Array): void; digest(): Promise<Uint8Array>; reset(): void };
  const digestOf = async (hash: Checksum, parts: (string | Uint8Array)[]) => {
    for (const part of parts) hash.update(part);
    return Buffer.from(await hash.digest()).toString('hex');
  };

  it('hashes as the SDK classes do: SHA-256, HMAC-SHA256 with a text or binary secret, and MD5', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(input, { maxLength: 4 }),
        fc.option(input, { nil: undefined }),
        async (parts, secret) => {
          // Act
          const ours = [await digestOf(new Sha256(secret), parts), await digestOf(new Md5(), parts)];
          const sdks = [await digestOf(new RealSha256(secret), parts), await digestOf(new RealMd5(), parts)];

          // Assess
          expect(ours).toEqual(sdks);
        },
      ),
    );
  });

  it('digests a hash again, starts over on reset, and refuses to update an HMAC once digested', async () => {
    // Prepare
    const hash = new Sha256();
    const hmac = new Sha256('key');
    hash.update('a');
    hmac.update('a');

    // Act
    const twice = [await hash.digest(), await hash.digest()].map((d) => Buffer.from(d).toString('hex'));
    hash.reset();
    hash.update('b');
    const afterReset = Buffer.from(await hash.digest()).toString('hex');
    await hmac.digest();

    // Assess
    expect(twice[0]).toBe(twice[1]);
    expect(afterReset).toBe(await digestOf(new RealSha256(), ['b']));
    expect(() => hmac.update('b')).toThrow('Attempted to update an already finished hash.');
    hmac.reset();
    hmac.update('b');
    expect(Buffer.from(await hmac.digest()).toString('hex')).toBe(
      await digestOf(new RealSha256('key'), ['b']),
    );
  });
});
