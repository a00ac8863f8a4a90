/**
 * What a command does on Ctrl-C (SIGINT) or SIGTERM while it holds dead letters: Node's default is to
 * end at once, which leaves every held letter hidden until its visibility timeout runs out (120 s by
 * default, up to 12 hours), so the command run again right after sees a short or empty queue and says
 * so with exit code 0. Instead the command returns what it holds first, says what it did, and ends with
 * the signal's exit code (130, 143). A second signal while it returns them ends it at once.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type HeldQueue, type HoldOptions, openHold } from './dead-letters/queue.js';
import type { Output } from './output.js';

/** The part of `process` an interrupt uses (a fake in tests). */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): void;
}

/** The signals a command handles, and the exit code each ends it with. */
export const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

export interface Interruptible {
  /** Stops watching for the signals. */
  stop(): void;
  /**
   * After a signal: the cleanup under way, which ends the process. Work that the cleanup made fail
   * waits for it rather than ending the process first with its own error (and the cleanup half-done).
   */
  interrupted(): Promise<void> | undefined;
}

/**
 * Until `stop` is called, SIGINT or SIGTERM runs `cleanup` (which resolves with what it
 * did, for the operator), then exits with the signal's code.
 */
export function onInterrupt(
  cleanup: () => Promise<string>,
  output: Output,
  target: SignalTarget = process,
): Interruptible {
  let cleaning: Promise<void> | undefined;
  const listeners = Object.entries(SIGNALS).map(([signal, code]) => {
    const listener = () => {
      if (cleaning) {
        output.note(
          'interrupted again: ending now; letters still held come back when their visibility timeout runs out',
        );
        target.exit(code);
        return;
      }
      output.note(`${signal}: stopping; returning the letters this command holds to the queue`);
      cleaning = cleanup().then(
        (done) => {
          output.note(`interrupted: ${done}`);
          target.exit(code);
        },
        (error: unknown) => {
          output.note(
            `interrupted: the held letters could not be returned (${(error as Error).message}); ` +
              'they come back when their visibility timeout runs out',
          );
          target.exit(code);
        },
      );
    };
    target.on(signal as NodeJS.Signals, listener);
    return [signal as NodeJS.Signals, listener] as const;
  });
  return {
    stop() {
      for (const [signal, listener] of listeners) target.off(signal, listener);
    },
    interrupted: () => cleaning,
  };
}

/**
 * Holds the whole dead-letter queue (`openHold`) for a command, with a Ctrl-C that returns the letters,
 * and says when letters are in flight elsewhere (this view lacks them). `release` ends both.
 */
export async function holdForCommand(
  sqs: SQSClient,
  queueUrl: string,
  options: HoldOptions,
  output: Output,
  signals: SignalTarget = process,
): Promise<HeldQueue> {
  const hold = openHold(sqs, queueUrl, options);
  const watch = onInterrupt(
    async () => {
      await hold.release();
      return (
        `${hold.returned} held letter(s) returned to the queue. Copies already put on the stream are ` +
        'deduplicated by the consumers: running the command again is safe'
      );
    },
    output,
    signals,
  );
  try {
    await hold.receiveAll();
  } catch (error) {
    await watch.interrupted();
    watch.stop();
    throw error;
  }
  if (hold.heldElsewhere) output.note(heldElsewhereNote(hold.heldElsewhere));
  if (hold.notReceived) output.note(notReceivedNote(hold.notReceived));
  return {
    messages: hold.messages,
    ...(hold.heldElsewhere === undefined ? {} : { heldElsewhere: hold.heldElsewhere }),
    ...(hold.notReceived === undefined ? {} : { notReceived: hold.notReceived }),
    remove: (ids) => hold.remove(ids),
    release: async () => {
      watch.stop();
      await hold.release();
      // After a signal, the process ends once its cleanup has returned every letter, not before.
      await watch.interrupted();
    },
  };
}

export function heldElsewhereNote(count: number): string {
  return (
    `note: ${count} more letter(s) are in flight, held by another command or by one that was killed ` +
    '(they come back when its visibility timeout runs out): this run does not see them'
  );
}

export function notReceivedNote(count: number): string {
  return (
    `note: ${count} more letter(s) are waiting in the queue that this run did not receive (SQS hands out ` +
    'at most ~120,000 letters at once, and letters may have arrived meanwhile): this run does not see ' +
    'them; redrive or delete what it shows, then run it again'
  );
}
