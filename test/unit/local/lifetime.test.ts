import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ENDED, Lifetime } from '../../../local/lifetime.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** A value as large as a batch of records read from a shard. */
function records(): { data: Uint8Array } {
  return { data: new Uint8Array(64 * 1024) };
}

describe('Lifetime', () => {
  it('keeps nothing of the calls it waited for, however many, while it has not ended', async () => {
    // Prepare
    const lifetime = new Lifetime();
    const read: WeakRef<object>[] = [];

    // Act: a poller's reads, one after another, for as long as the stack runs
    for (let index = 0; index < 2_000; index += 1) {
      const value = records();
      read.push(new WeakRef(value));
      await lifetime.until(Promise.resolve(value));
    }
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();

    // Assess
    expect(read.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(1);
    expect(lifetime.waiting).toBe(0);
  });

  it('ends every wait in progress at once when it ends', async () => {
    // Prepare
    const lifetime = new Lifetime();
    const hung = lifetime.until(new Promise(() => undefined));
    const sleeping = lifetime.sleep(60_000);

    // Act
    lifetime.end();

    // Assess
    expect(await hung).toBe(ENDED);
    await sleeping;
    expect(lifetime.waiting).toBe(0);
  });

  it('passes on the value or the error of the call it waited for', async () => {
    // Prepare
    const lifetime = new Lifetime();

    // Act
    const value = lifetime.until(Promise.resolve(42));
    const failure = lifetime.until(Promise.reject(new Error('GetRecords failed')));

    // Assess
    expect(await value).toBe(42);
    await expect(failure).rejects.toThrow('GetRecords failed');
    expect(lifetime.waiting).toBe(0);
  });
});
