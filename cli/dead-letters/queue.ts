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
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Progress } from '../output.js';
import type { QueueMessage } from './letters.js';

/** SQS batch operations take at most 10 entries. */
const BATCH = 10;

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
  /** Deletes messages by id; returns the ids SQS did not delete. */
  remove(ids: string[]): Promise<string[]>;
  /** Returns every message still held to the queue at once; stops extending the timeouts. */
  release(): Promise<void>;
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
  const visibility = options.visibilitySeconds ?? 60;
  const held = new Map<string, Held>();
  let drained = false;
  const receiver = async () => {
    while (!drained) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: BATCH,
          VisibilityTimeout: visibility,
          WaitTimeSeconds: options.waitSeconds ?? 1,
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      if (Messages.length === 0) drained = true;
      for (const message of Messages) {
        if (!message.MessageId || !message.ReceiptHandle) continue;
        const sent = Number(message.Attributes?.SentTimestamp);
        // A second delivery of a message already held: keep the newest receipt handle, count it once.
        held.set(message.MessageId, {
          message: {
            id: message.MessageId,
            body: message.Body ?? '',
            ...(Number.isFinite(sent) ? { sentAt: sent } : {}),
          },
          receiptHandle: message.ReceiptHandle,
        });
      }
      options.progress?.update(held.size);
    }
  };
  const extender = setInterval(
    () => void changeVisibility(sqs, queueUrl, [...held.values()], visibility).catch(() => undefined),
    Math.max(1_000, (visibility * 1000) / 3),
  );
  extender.unref();
  try {
    await Promise.all(Array.from({ length: options.receivers ?? 4 }, receiver));
  } catch (error) {
    clearInterval(extender);
    await changeVisibility(sqs, queueUrl, [...held.values()], 0).catch(() => undefined);
    throw error;
  }
  options.progress?.finish(`${held.size} letter(s) held`);
  return {
    messages: [...held.values()].map((entry) => entry.message),
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
          failed.push(...chunk.map((entry) => entry.message.id));
        }
      }
      return failed;
    },
    async release() {
      clearInterval(extender);
      await changeVisibility(sqs, queueUrl, [...held.values()], 0);
      held.clear();
    },
  };
}

/** Sets the visibility timeout of held messages (0 returns them to the queue). Best effort per entry. */
async function changeVisibility(
  sqs: SQSClient,
  queueUrl: string,
  entries: Held[],
  seconds: number,
): Promise<void> {
  for (let start = 0; start < entries.length; start += BATCH) {
    const chunk = entries.slice(start, start + BATCH);
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
  }
}
