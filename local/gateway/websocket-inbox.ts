/**
 * The messages of one connection on their way to `$default`: one invocation at a time, in the order they
 * came, at most `maxWaiting` waiting; a closed connection's waiting messages are never routed.
 *
 * Why: the local functions run in a few execution environments, and one client looping on `send` would
 * otherwise queue thousands of invocations in front of every other connection's (measured: another
 * account's ping answered after 32 s behind 2,000 pings of one connection). The backend closes a flooding
 * connection after its minute's worth (`lambdas/ws-broadcast/message-rate.ts`), which now ends the
 * flood's invocations too. API Gateway gives no ordering or concurrency guarantee for `$default`, so
 * one at a time per connection is one of its behaviours; past `maxWaiting` a message is refused as
 * throttled, as API Gateway answers "429 Too Many Requests" to what is over its limits.
 */

/** What became of an offered message. */
export type InboxVerdict = 'queued' | 'full' | 'closed';

export class ConnectionInbox<M> {
  readonly #waiting: M[] = [];
  #delivering = false;
  #closed = false;

  constructor(
    /** Runs `$default` for one message; never rejects (the caller logs its failures). */
    private readonly deliver: (message: M) => Promise<void>,
    private readonly maxWaiting: number,
    /** Told of each run of deliveries, so that the gateway can wait for them when it stops. */
    private readonly track: (run: Promise<void>) => void,
  ) {}

  offer(message: M): InboxVerdict {
    if (this.#closed) return 'closed';
    if (this.#waiting.length >= this.maxWaiting) return 'full';
    this.#waiting.push(message);
    if (!this.#delivering) {
      this.#delivering = true;
      this.track(this.#deliverAll());
    }
    return 'queued';
  }

  /** The connection closed: what waits is dropped, and nothing more is queued. */
  close(): void {
    this.#closed = true;
    this.#waiting.length = 0;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async #deliverAll(): Promise<void> {
    try {
      for (let next = this.#waiting.shift(); next !== undefined; next = this.#waiting.shift()) {
        await this.deliver(next);
      }
    } finally {
      this.#delivering = false;
    }
  }
}
