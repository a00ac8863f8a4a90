/**
 * A client given up at a stop time (`stopping-client.ts`): a call still pending then rejects with an
 * `AbortError` and its request's abort signal fires; a call that settles first is untouched; a caller's
 * own abort signal still works; everything but `send` is the client's own.
 */
import { describe, expect, it } from 'vitest';
import { stoppingAt } from '../../../lambdas/shared/stopping-client.js';

type Options = { abortSignal?: AbortSignal };

/** A client whose `send` answers after `answerAfterMs` (never when undefined), keeping the signals it got. */
function fakeClient(answerAfterMs?: number) {
  const signals: AbortSignal[] = [];
  return {
    signals,
    config: { region: 'eu-west-1' },
    send(command: string, options?: Options): Promise<string> {
      if (options?.abortSignal) signals.push(options.abortSignal);
      if (answerAfterMs === undefined) return new Promise(() => undefined);
      return new Promise((resolve) => setTimeout(() => resolve(`answer to ${command}`), answerAfterMs));
    },
  };
}

describe('a client given up at a stop time', () => {
  it('rejects a call still pending at the stop time with an AbortError, aborting its request', async () => {
    const client = fakeClient();
    const started = Date.now();

    const error = await stoppingAt(client, started + 100)
      .send('put')
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(client.signals[0]?.aborted).toBe(true);
  });

  it('gives up at once once the stop time has passed', async () => {
    const error = await stoppingAt(fakeClient(), Date.now() - 1)
      .send('put')
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'AbortError' });
  });

  it("leaves a call that answers first alone, and keeps the caller's own signal and the client's other members", async () => {
    const client = fakeClient(5);
    const stopping = stoppingAt(client, Date.now() + 10_000);
    const own = new AbortController();

    const answer = await stopping.send('get', { abortSignal: own.signal });
    own.abort();

    expect(answer).toBe('answer to get');
    expect(client.signals[0]?.aborted).toBe(true);
    expect(stopping.config).toBe(client.config);
  });
});
