import {
  ChangeMessageVisibilityBatchCommand,
  type ChangeMessageVisibilityBatchCommandInput,
  GetQueueAttributesCommand,
  OverLimit,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { holdAll } from '../../../cli/dead-letters/queue.js';

const sqsMock = mockClient(SQSClient);
const QUEUE = 'http://sqs/queue/dead-letter';
const VISIBILITY_SECONDS = 60;

/**
 * A queue that keeps, per receipt handle, when its message becomes visible again, and answers each
 * ChangeMessageVisibilityBatch after `latencyMs`: a change that lands after that moment found the
 * message back in the queue (a lapse: another reader could take it).
 */
function slowQueue(letters: number, latencyMs: number) {
  const visibleAt = new Map<string, number>();
  const queue = { lapses: 0, inFlight: 0, mostInFlight: 0, visibleAt };
  let next = 0;
  sqsMock.on(ReceiveMessageCommand).callsFake(() => {
    const Messages = Array.from({ length: Math.min(10, letters - next) }, () => {
      const id = `m${next++}`;
      visibleAt.set(`rh-${id}`, Date.now() + VISIBILITY_SECONDS * 1000);
      return { MessageId: id, ReceiptHandle: `rh-${id}`, Body: '{}' };
    });
    return { Messages };
  });
  sqsMock
    .on(ChangeMessageVisibilityBatchCommand)
    .callsFake(async ({ Entries = [] }: ChangeMessageVisibilityBatchCommandInput) => {
      queue.inFlight += 1;
      queue.mostInFlight = Math.max(queue.mostInFlight, queue.inFlight);
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      queue.inFlight -= 1;
      for (const { ReceiptHandle = '', VisibilityTimeout = 0 } of Entries) {
        if (Date.now() > (visibleAt.get(ReceiptHandle) ?? 0)) queue.lapses += 1;
        visibleAt.set(ReceiptHandle, Date.now() + VisibilityTimeout * 1000);
      }
      return {};
    });
  return queue;
}

describe('holding many dead letters', () => {
  beforeEach(() => {
    sqsMock.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('keeps 5,000 letters hidden for minutes when each visibility call takes 100 ms', async () => {
    // Prepare: 500 visibility batches a sweep; one at a time they take 50 s of a 60 s timeout.
    const queue = slowQueue(5_000, 100);
    const held = await holdAll(new SQSClient({}), QUEUE, {
      receivers: 1,
      visibilitySeconds: VISIBILITY_SECONDS,
    });

    // Act: the command works for five minutes (a redrive's reads and puts).
    await vi.advanceTimersByTimeAsync(300_000);

    // Assess: no letter came back to the queue, every one is hidden still, and sweeps never piled up.
    expect(held.messages).toHaveLength(5_000);
    expect(queue.lapses).toBe(0);
    const stillHidden = [...queue.visibleAt.values()].filter((at) => at > Date.now());
    expect(stillHidden).toHaveLength(5_000);
    expect(queue.mostInFlight).toBeLessThanOrEqual(10);
    const releasing = held.release();
    await vi.advanceTimersByTimeAsync(60_000);
    await releasing;
    expect([...queue.visibleAt.values()].filter((at) => at > Date.now())).toHaveLength(0);
  });

  it('keeps what it received when SQS refuses more at its in-flight cap, and counts the rest', async () => {
    // Prepare: a short poll at the cap answers OverLimit; 130,000 letters wait in the queue.
    vi.useRealTimers();
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'a', ReceiptHandle: 'rh-a', Body: '{}' }] })
      .rejects(new OverLimit({ message: 'too many messages in flight', $metadata: {} }));
    sqsMock.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessagesNotVisible: '1', ApproximateNumberOfMessages: '130000' },
    });

    // Act
    const held = await holdAll(new SQSClient({}), QUEUE, { receivers: 1, waitSeconds: 0 });

    // Assess: the letter received is held, not returned, and the view says what it lacks.
    expect(held.messages.map((letter) => letter.id)).toEqual(['a']);
    expect(held.heldElsewhere).toBe(0);
    expect(held.notReceived).toBe(130_000);
    await held.release();
  });
});
