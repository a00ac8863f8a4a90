/**
 * Reading a whole SQS queue without losing or duplicating a message. SQS cannot peek: a message is seen
 * only by receiving it, which hides it from other receivers for its visibility timeout. So the tool
 * HOLDS the letters: it receives until the queue answers empty, keeping every received message hidden
 * (and extending the timeout while it works), de-duplicates by message id (a standard queue may deliver a
 * message twice), and at the end either deletes a letter (only once its redrive was acknowledged) or
 * releases it (visibility 0: back in the queue at once). If the tool dies, the letters come back on
 * their own when the timeout runs out: nothing is lost, nothing is moved anywhere else.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { forEachWithConcurrency } from '../../lambdas/shared/concurrency.js';
import type { Progress } from '../output.js';
import type { QueueMessage } from './letters.js';

/** SQS batch operations take at most 10 entries. */
const BATCH = 10;
/**
 * Visibility batches in flight at once: holding 50,000 letters is 5,000 calls a sweep, which one at a
 * time (~20 ms each) outlast the visibility timeout, and the letters at the end came back to the queue.
 */
const VISIBILITY_CONCURRENCY = 10;

export interface HoldOptions {
  /** How long a received message stays hidden before the next extension; default 60 s. */
  visibilitySeconds?: number;
  /** Long-poll wait of each receive: an empty answer after it means the queue is drained. AWS: 1-2 s. */
  waitSeconds?: number;
  /** Parallel receivers. */
  receivers?: number;
  progress?: Progress;
}

export interface HeldQueue {
  messages: QueueMessage[];
  /**
   * Letters in flight that this hold does not have once the queue answered empty: held by another
   * command, or by one that was killed (they come back when its visibility timeout runs out). A view of
   * the queue that lacks them must say so. Undefined when the queue's attributes could not be read.
   */
  heldElsewhere?: number;
  /**
   * Letters still waiting in the queue once this hold stopped receiving: SQS hands out no more than
   * ~120,000 in-flight messages of a queue (past it a long poll answers empty, a short one OverLimit),
   * and letters may arrive meanwhile. A view that lacks them must say so. Undefined when unknown.
   */
  notReceived?: number;
  /** Deletes messages by id; returns the ids SQS did not delete (all the rest once a batch fails whole). */
  remove(ids: string[]): Promise<string[]>;
  /** Returns every message still held to the queue at once; stops extending the timeouts. */
  release(): Promise<void>;
}

/** A hold that can be released at any moment, while it still receives too (an interrupted command). */
export interface Hold extends HeldQueue {
  /** Receives until the queue answers empty (or the hold is released); then `messages` is complete. */
  receiveAll(): Promise<void>;
  /** How many messages were returned to the queue at once (by `release`, or received after it). */
  readonly returned: number;
}

interface Held {
  message: QueueMessage;
  receiptHandle: string;
}

/** Receives every message of the queue and keeps them hidden until `release` (or they time out). */
export async function holdAll(
  sqs: SQSClient,
  queueUrl: string,
  options: HoldOptions = {},
): Promise<HeldQueue> {
  const hold = openHold(sqs, queueUrl, options);
  await hold.receiveAll();
  return hold;
}

/**
 * A hold on the queue that has received nothing yet: `release` may come before, during or after
 * `receiveAll` (a Ctrl-C), and returns at once every letter held then; a message a receive brings
 * after the release goes straight back.
 */
export function openHold(sqs: SQSClient, queueUrl: string, options: HoldOptions = {}): Hold {
  const visibility = options.visibilitySeconds ?? 60;
  const held = new Map<string, Held>();
  let drained = false;
  let released = false;
  let returned = 0;
  let receivers: Promise<void>[] = [];
  const receiver = async () => {
    while (!drained && !released) {
      let Messages: Message[] = [];
      try {
        ({ Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: BATCH,
            VisibilityTimeout: visibility,
            WaitTimeSeconds: options.waitSeconds ?? 1,
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
        ));
      } catch (error) {
        // The queue's in-flight cap: hold what was received, and say how many were not (`notReceived`).
        if ((error as Error).name !== 'OverLimit') throw error;
      }
      if (Messages.length === 0) drained = true;
      const received = Messages.flatMap((message): Held[] => {
        if (!message.MessageId || !message.ReceiptHandle) return [];
        const sent = Number(message.Attributes?.SentTimestamp);
        const id = message.MessageId;
        const body = message.Body ?? '';
        const entry = { id, body, ...(Number.isFinite(sent) ? { sentAt: sent } : {}) };
        return [{ message: entry, receiptHandle: message.ReceiptHandle }];
      });
      if (released) {
        // Received after the release: hiding it until its timeout would only make the queue look short.
        await changeVisibility(sqs, queueUrl, received, 0).catch(() => undefined);
        returned += received.length;
        return;
      }
      // A second delivery of a message already held: keep the newest receipt handle, count it once.
      for (const entry of received) held.set(entry.message.id, entry);
      options.progress?.update(held.size);
    }
  };
  // One sweep at a time: a sweep slower than the interval must not start a second over the same letters,
  // and a third, each slowing the others until none reaches the end of the hold within the timeout.
  let sweep: Promise<void> | undefined;
  const extender = setInterval(
    () => {
      sweep ??= changeVisibility(sqs, queueUrl, [...held.values()], visibility)
        .catch(() => undefined)
        .finally(() => {
          sweep = undefined;
        });
    },
    Math.max(1_000, (visibility * 1000) / 3),
  );
  extender.unref();
  const hold: Hold = {
    messages: [],
    get returned() {
      return returned;
    },
    async receiveAll() {
      try {
        receivers = Array.from({ length: options.receivers ?? 4 }, receiver);
        await Promise.all(receivers);
      } catch (error) {
        drained = true;
        await hold.release().catch(() => undefined);
        throw error;
      }
      if (released) throw new Error('the command was interrupted while it read the dead-letter queue');
      Object.assign(hold, await unheld(sqs, queueUrl, held.size));
      options.progress?.finish(`${held.size} letter(s) held`);
      hold.messages = [...held.values()].map((entry) => entry.message);
    },
    async remove(ids) {
      const entries = ids.flatMap((id) => {
        const entry = held.get(id);
        return entry ? [entry] : [];
      });
      const failed: string[] = [];
      for (let start = 0; start < entries.length; start += BATCH) {
        const chunk = entries.slice(start, start + BATCH);
        try {
          const { Failed = [] } = await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((entry, index) => ({
                Id: String(index),
                ReceiptHandle: entry.receiptHandle,
              })),
            }),
          );
          const failedIndexes = new Set(Failed.map((failure) => Number(failure.Id)));
          chunk.forEach((entry, index) => {
            if (failedIndexes.has(index)) failed.push(entry.message.id);
            else held.delete(entry.message.id);
          });
        } catch {
          // The queue did not answer even after the SDK's retries: every later batch would wait out the
          // same timeouts (30 s each, hours for thousands of letters). They stay held; a rerun deletes them.
          failed.push(...entries.slice(start).map((entry) => entry.message.id));
          break;
        }
      }
      return failed;
    },
    async release() {
      released = true;
      clearInterval(extender);
      // A sweep under way would hide again what is returned now.
      await sweep;
      const entries = [...held.values()];
      held.clear();
      await changeVisibility(sqs, queueUrl, entries, 0);
      returned += entries.length;
      // A receive under way returns what it brings itself; wait for it, so nothing stays hidden.
      await Promise.allSettled(receivers);
    },
  };
  return hold;
}

/** The queue's messages this hold lacks: in flight beyond the `ours` it has, and still visible. */
async function unheld(
  sqs: SQSClient,
  queueUrl: string,
  ours: number,
): Promise<Pick<HeldQueue, 'heldElsewhere' | 'notReceived'>> {
  try {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessages'],
      }),
    );
    const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    const visible = Number(Attributes.ApproximateNumberOfMessages);
    return {
      ...(Number.isFinite(inFlight) ? { heldElsewhere: Math.max(0, inFlight - ours) } : {}),
      ...(Number.isFinite(visible) ? { notReceived: visible } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Sets the visibility timeout of held messages (0 returns them to the queue), batches in parallel. Best
 * effort per entry; a batch that fails does not stop the others, and the first failure is thrown after.
 */
async function changeVisibility(
  sqs: SQSClient,
  queueUrl: string,
  entries: Held[],
  seconds: number,
): Promise<void> {
  const chunks: Held[][] = [];
  for (let start = 0; start < entries.length; start += BATCH)
    chunks.push(entries.slice(start, start + BATCH));
  let failure: { error: unknown } | undefined;
  await forEachWithConcurrency(chunks, VISIBILITY_CONCURRENCY, async (chunk) => {
    try {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((entry, index) => ({
            Id: String(index),
            ReceiptHandle: entry.receiptHandle,
            VisibilityTimeout: seconds,
          })),
        }),
      );
    } catch (error) {
      failure ??= { error };
    }
  });
  if (failure) throw failure.error;
}
