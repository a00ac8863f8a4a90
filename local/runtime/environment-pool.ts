/**
 * How invocations of one function share its execution environments, as Lambda scales a function: a
 * warm idle environment is reused (the most recently used first, as Lambda tends to), a new one starts
 * when all are busy and the function is under its concurrency limit, and beyond the limit an invocation
 * waits for the first environment to come free. A retired environment (crash, timeout, init error) is
 * dropped, and whoever waits gets a new one. No I/O here: environments are made by `create`.
 */
interface Waiter<E> {
  resolve: (environment: E) => void;
  reject: (error: Error) => void;
}

export class EnvironmentPool<E> {
  readonly #idle: E[] = [];
  readonly #all = new Set<E>();
  readonly #waiting: Waiter<E>[] = [];

  constructor(
    /** Most environments at once: the function's reserved concurrency, or the local default. */
    readonly limit: number,
    private readonly create: () => E,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`concurrency limit ${limit} is not a positive integer`);
  }

  /** Environments alive (idle or busy). */
  get size(): number {
    return this.#all.size;
  }

  /** Invocations waiting for an environment. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Every live environment, idle or busy. */
  environments(): E[] {
    return [...this.#all];
  }

  /** Starts an idle environment ahead of the first invocation (Lambda's init on deploy is not eager, ours is). */
  prewarm(): void {
    if (this.#all.size < this.limit) this.#idle.push(this.start());
  }

  /**
   * An environment to invoke: a warm idle one, a new one, or the next one freed. A wait ends when
   * `signal` aborts (its caller gave up: a client gone, a gateway timeout), rejecting with its reason:
   * a flood of abandoned requests must not leave a queue that grows, and runs, long after them.
   */
  acquire(signal?: AbortSignal): Promise<E> {
    const warm = this.#idle.pop();
    if (warm !== undefined) return Promise.resolve(warm);
    if (this.#all.size < this.limit) return Promise.resolve(this.start());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const abandon = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      const settled = () => signal?.removeEventListener('abort', abandon);
      const waiter: Waiter<E> = {
        resolve: (environment) => {
          settled();
          resolve(environment);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      };
      signal?.addEventListener('abort', abandon, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Gives `environment` back after an invocation; `reusable` false retires it. */
  release(environment: E, reusable: boolean): void {
    if (!this.#all.has(environment)) return;
    if (!reusable) {
      this.retire(environment);
      return;
    }
    const next = this.#waiting.shift();
    if (next) next.resolve(environment);
    else this.#idle.push(environment);
  }

  /** Forgets an environment that is gone (also one that died while idle); a waiter gets a new one. */
  retire(environment: E): void {
    if (!this.#all.delete(environment)) return;
    const index = this.#idle.indexOf(environment);
    if (index >= 0) this.#idle.splice(index, 1);
    const next = this.#waiting.shift();
    if (next) next.resolve(this.start());
  }

  /**
   * Empties the pool (the function stops): waiting invocations are rejected with `reason`, and every
   * environment is returned for the caller to stop.
   */
  drain(reason: Error): E[] {
    for (const waiter of this.#waiting.splice(0)) waiter.reject(reason);
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    return all;
  }

  private start(): E {
    const environment = this.create();
    this.#all.add(environment);
    return environment;
  }
}
