/**
 * An SDK client whose calls give up at a stop time: each `send` is given an abort signal that fires then
 * (the SDK's HTTP handler closes the request) and is raced against it, so the call rejects with an
 * `AbortError` at the stop time even if the request never heeds the signal.
 *
 * Why: a stream consumer stops *starting* requests at its deadline, but a request already in flight
 * could run on past the invocation's end (the SDK waits up to 5 s per attempt, three attempts, with
 * backoff). Lambda would then time the whole batch out: every record redelivered, and a lone old record
 * counted as a crash by the crash journal, which dead-letters after three (an infrastructure failure
 * dead-lettered, which DESIGN.md rule 2 forbids). Given up at the stop time, the request is a transient
 * failure of its events (`AbortError`, see `lambdas/stats/dynamo-errors.ts`), reported for redelivery
 * while the function still has time to answer.
 */

interface Sendable {
  send(command: never, options?: never): Promise<unknown>;
}

/** The error a call rejects with at the stop time: an `AbortError`, as the SDK names an aborted request. */
export class StopTimeReached extends Error {
  constructor() {
    super("request given up at the invocation's stop time");
    this.name = 'AbortError';
  }
}

/** `client` with every `send` given up at `stopAt` (epoch ms); nothing else about it changes. */
export function stoppingAt<C extends Sendable>(client: C, stopAt: number, now: () => number = Date.now): C {
  const send = (command: unknown, options?: { abortSignal?: AbortSignal }) => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const stopped = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          controller.abort(new StopTimeReached());
          reject(new StopTimeReached());
        },
        Math.max(0, stopAt - now()),
      );
    });
    const signal = options?.abortSignal
      ? AbortSignal.any([options.abortSignal, controller.signal])
      : controller.signal;
    const call = (client.send as (command: unknown, options: unknown) => Promise<unknown>).call(
      client,
      command,
      {
        ...options,
        abortSignal: signal,
      },
    );
    return Promise.race([call, stopped]).finally(() => clearTimeout(timer));
  };
  return new Proxy(client, {
    get: (target, property, receiver) =>
      property === 'send' ? send : Reflect.get(target, property, receiver),
  });
}
