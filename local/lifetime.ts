/**
 * The lifetime of a long-running local loop (a shard poller, a supervisor): once `end()` is called,
 * every `sleep` and `until` of it returns at once, so `stop()` never waits out a backoff or a hung call.
 */
export const ENDED = Symbol('ended');

export class Lifetime {
  #ended = false;
  #signalEnd: () => void = () => undefined;
  readonly #endSignal = new Promise<typeof ENDED>((resolve) => {
    this.#signalEnd = () => resolve(ENDED);
  });

  get ended(): boolean {
    return this.#ended;
  }

  end(): void {
    this.#ended = true;
    this.#signalEnd();
  }

  /** Waits for `promise` unless the lifetime ends first (then `ENDED`; the promise is left to settle). */
  until<T>(promise: Promise<T>): Promise<T | typeof ENDED> {
    promise.catch(() => undefined);
    return Promise.race([promise, this.#endSignal]);
  }

  /** Sleeps `ms`, or less if the lifetime ends meanwhile. */
  async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await this.until(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))));
    clearTimeout(timer);
  }
}
