import { describe, expect, it } from 'vitest';
import { EnvironmentPool } from '../../../local/runtime/environment-pool.js';
import { nextEnvironmentState } from '../../../local/runtime/environment-state.js';

/** A pool of numbered fake environments, recording how many were created. */
function pool(limit: number) {
  let created = 0;
  const environments = new EnvironmentPool(limit, () => {
    created += 1;
    return { id: created };
  });
  return { environments, created: () => created };
}

describe('EnvironmentPool', () => {
  it('starts a new environment for each concurrent invocation, up to the limit', async () => {
    // Prepare
    const { environments } = pool(3);

    // Act
    const acquired = await Promise.all([
      environments.acquire(),
      environments.acquire(),
      environments.acquire(),
    ]);

    // Assess
    expect(acquired.map((environment) => environment.id)).toEqual([1, 2, 3]);
    expect(environments.size).toBe(3);
  });

  it('reuses the most recently released warm environment instead of starting one', async () => {
    // Prepare
    const { environments, created } = pool(4);
    const [first, second] = await Promise.all([environments.acquire(), environments.acquire()]);
    environments.release(first, true);
    environments.release(second, true);

    // Act
    const next = await environments.acquire();

    // Assess
    expect(next).toBe(second);
    expect(created()).toBe(2);
  });

  it('makes invocations beyond the limit wait for the first environment freed, in order', async () => {
    // Prepare
    const { environments } = pool(1);
    const only = await environments.acquire();
    const order: string[] = [];
    const waitingA = environments.acquire().then((environment) => order.push(`a:${environment.id}`));
    const waitingB = environments.acquire().then((environment) => order.push(`b:${environment.id}`));

    // Act
    expect(environments.queued).toBe(2);
    environments.release(only, true);
    await waitingA;
    environments.release(only, true);
    await waitingB;

    // Assess
    expect(order).toEqual(['a:1', 'b:1']);
  });

  it('retires an environment that is not reusable and gives a waiter a new one', async () => {
    // Prepare
    const { environments } = pool(1);
    const crashed = await environments.acquire();
    const waiting = environments.acquire();

    // Act
    environments.release(crashed, false);

    // Assess
    expect((await waiting).id).toBe(2);
    expect(environments.environments()).toEqual([{ id: 2 }]);
  });

  it('forgets an idle environment that died, so it is never handed out', async () => {
    // Prepare
    const { environments } = pool(2);
    environments.prewarm();
    const [idle] = environments.environments();

    // Act
    environments.retire(idle as { id: number });
    const next = await environments.acquire();

    // Assess
    expect(next.id).toBe(2);
  });

  it('rejects waiting invocations and hands back every environment when drained', async () => {
    // Prepare
    const { environments } = pool(1);
    const busy = await environments.acquire();
    const waiting = environments.acquire();

    // Act
    const drained = environments.drain(new Error('stopped'));

    // Assess
    await expect(waiting).rejects.toThrow('stopped');
    expect(drained).toEqual([busy]);
    expect(environments.size).toBe(0);
  });

  it('forgets every wait its caller gave up on, so a flood of abandoned requests leaves no queue', async () => {
    // Prepare
    const { environments } = pool(1);
    const busy = await environments.acquire();
    const callers = Array.from({ length: 5_000 }, () => new AbortController());
    const abandoned = callers.map((caller) => environments.acquire(caller.signal));
    const stillWaiting = environments.acquire(new AbortController().signal);

    // Act
    for (const caller of callers) caller.abort(new Error('client gone'));
    const outcomes = await Promise.allSettled(abandoned);
    environments.release(busy, true);

    // Assess
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(await stillWaiting).toBe(busy);
    expect(environments.queued).toBe(0);
  });

  it('refuses at once a wait whose caller has already gone', async () => {
    // Prepare
    const { environments } = pool(1);
    await environments.acquire();

    // Act
    const waiting = environments.acquire(AbortSignal.abort(new Error('client gone')));

    // Assess
    await expect(waiting).rejects.toThrow('client gone');
    expect(environments.queued).toBe(0);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new EnvironmentPool(0, () => ({}))).toThrow(/not a positive integer/);
  });
});

describe('nextEnvironmentState', () => {
  it.each([
    ['idle', 'invoke', 'busy'],
    ['busy', 'answered', 'idle'],
    ['busy', 'init-failed', 'retired'],
    ['busy', 'timed-out', 'retired'],
    ['idle', 'exited', 'retired'],
    ['busy', 'exited', 'retired'],
    ['idle', 'stopped', 'retired'],
    ['retired', 'exited', 'retired'],
  ] as const)('goes from %s on %s to %s', (state, event, next) => {
    expect(nextEnvironmentState(state, event)).toBe(next);
  });

  it.each([
    ['busy', 'invoke'],
    ['retired', 'invoke'],
    ['idle', 'answered'],
  ] as const)('refuses %s on %s: the host must never try it', (state, event) => {
    expect(() => nextEnvironmentState(state, event)).toThrow(/cannot go from/);
  });
});
