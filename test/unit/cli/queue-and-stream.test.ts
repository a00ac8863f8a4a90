import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { holdAll } from '../../../cli/dead-letters/queue.js';
import { readRange } from '../../../cli/dead-letters/stream-reader.js';
import { putCopies } from '../../../cli/dead-letters/stream-writer.js';

const sqsMock = mockClient(SQSClient);
/** The inputs of every call of `command` the mock received. */
function inputsOf(
  mock: { commandCalls: (command: never) => { args: [{ input: unknown }] }[] },
  command: unknown,
) {
  return mock.commandCalls(command as never).map((call) => call.args[0].input);
}
const kinesisMock = mockClient(KinesisClient);
const QUEUE = 'http://sqs/queue/dead-letter';

/** The ChangeMessageVisibilityBatch input that returns the messages of these receipt handles at once. */
function returned(...handles: string[]) {
  return expect.objectContaining({
    Entries: handles.map((ReceiptHandle, index) => ({
      Id: String(index),
      ReceiptHandle,
      VisibilityTimeout: 0,
    })),
  });
}

function message(id: string, receipt = `rh-${id}`) {
  return {
    MessageId: id,
    ReceiptHandle: receipt,
    Body: `{"n":"${id}"}`,
    Attributes: { SentTimestamp: '1000' },
  };
}

describe('holding the dead-letter queue', () => {
  beforeEach(() => sqsMock.reset());

  it('receives until the queue answers empty, counting a message delivered twice once', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a'), message('b')] })
      .resolvesOnce({ Messages: [message('b', 'rh-b-2'), message('c')] })
      .resolves({ Messages: [] });

    const held = await holdAll(new SQSClient({}), QUEUE, { receivers: 1, visibilitySeconds: 30 });

    expect(held.messages.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(held.messages[0]).toEqual({ id: 'a', body: '{"n":"a"}', sentAt: 1000 });
    expect(inputsOf(sqsMock, ReceiveMessageCommand)).toContainEqual(
      expect.objectContaining({
        QueueUrl: QUEUE,
        VisibilityTimeout: 30,
      }),
    );
    await held.release();
  });

  it('returns every letter it still holds at once on release, with the latest receipt handle', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a'), message('b')] })
      .resolves({});
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    const held = await holdAll(new SQSClient({}), QUEUE, { receivers: 1 });

    await held.release();

    expect(inputsOf(sqsMock, ChangeMessageVisibilityBatchCommand)).toContainEqual(returned('rh-a', 'rh-b'));
  });

  it('deletes only what it was asked to, reports what SQS refused, and returns the rest', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a'), message('b'), message('c')] })
      .resolves({});
    sqsMock
      .on(DeleteMessageBatchCommand)
      .resolves({ Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    const held = await holdAll(new SQSClient({}), QUEUE, { receivers: 1 });

    const notDeleted = await held.remove(['a', 'b']);
    await held.release();

    expect(notDeleted).toEqual(['b']);
    expect(inputsOf(sqsMock, DeleteMessageBatchCommand)).toContainEqual(
      expect.objectContaining({
        Entries: [
          { Id: '0', ReceiptHandle: 'rh-a' },
          { Id: '1', ReceiptHandle: 'rh-b' },
        ],
      }),
    );
    // b failed to delete: it is returned with c.
    expect(inputsOf(sqsMock, ChangeMessageVisibilityBatchCommand)).toContainEqual(returned('rh-b', 'rh-c'));
  });

  it('stops deleting at the first batch the queue does not answer, leaving the rest held, not lost', async () => {
    // Prepare: 25 letters (three batches); the queue hangs once the command starts deleting.
    const letters = Array.from({ length: 25 }, (_, index) => message(`m${index}`));
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: letters }).resolves({});
    sqsMock.on(DeleteMessageBatchCommand).rejects(
      Object.assign(new Error('a request has exceeded the configured 10000 ms requestTimeout.'), {
        name: 'TimeoutError',
      }),
    );
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    const held = await holdAll(new SQSClient({}), QUEUE, { receivers: 1 });

    // Act
    const notDeleted = await held.remove(letters.map((letter) => letter.MessageId));
    await held.release();

    // Assess: one batch waited out the timeouts, not three; every letter is reported and returned.
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(1);
    expect(notDeleted).toEqual(letters.map((letter) => letter.MessageId));
    const returnedHandles = inputsOf(sqsMock, ChangeMessageVisibilityBatchCommand).flatMap(
      (input) => (input as { Entries: { ReceiptHandle: string }[] }).Entries,
    );
    expect(returnedHandles).toHaveLength(25);
  });

  it('returns what it received when a receive fails, then throws', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('a')] })
      .rejects(new Error('queue gone'));
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});

    await expect(holdAll(new SQSClient({}), QUEUE, { receivers: 1 })).rejects.toThrow('queue gone');
    expect(inputsOf(sqsMock, ChangeMessageVisibilityBatchCommand)).toContainEqual(returned('rh-a'));
  });
});

/** A discarded batch of three records. */
const range = {
  streamName: 'events',
  shardId: 'shardId-000000000000',
  startSequenceNumber: '10',
  endSequenceNumber: '12',
  batchSize: 3,
};

describe('re-reading a discarded batch from the stream', () => {
  beforeEach(() => kinesisMock.reset());
  const record = (sequence: string) => ({
    SequenceNumber: sequence,
    PartitionKey: `a:${sequence}`,
    Data: Buffer.from(sequence),
  });

  it('reads from the first sequence number to the last, and no further', async () => {
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesisMock
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({ Records: [record('10'), record('11')], NextShardIterator: 'it-2', MillisBehindLatest: 5 });
    kinesisMock
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({ Records: [record('12'), record('13')], NextShardIterator: 'it-3', MillisBehindLatest: 0 });

    const read = await readRange(new KinesisClient({}), range);

    expect(read.ok).toBe(true);
    expect(read.records.map((r) => [r.sequenceNumber, r.partitionKey, r.data.toString()])).toEqual([
      ['10', 'a:10', '10'],
      ['11', 'a:11', '11'],
      ['12', 'a:12', '12'],
    ]);
    expect(inputsOf(kinesisMock, GetShardIteratorCommand)).toContainEqual(
      expect.objectContaining({
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: '10',
      }),
    );
  });

  it('says the batch aged out when the stream starts after its first record', async () => {
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesisMock
      .on(GetRecordsCommand)
      .resolves({ Records: [record('12')], NextShardIterator: 'it-2', MillisBehindLatest: 0 });

    const read = await readRange(new KinesisClient({}), range);

    expect(read).toMatchObject({ ok: false, reason: expect.stringMatching(/aged out/) });
    expect(read.records.map((r) => r.sequenceNumber)).toEqual(['12']);
  });

  it('says the batch aged out when its shard is gone', async () => {
    kinesisMock
      .on(GetShardIteratorCommand)
      .rejects(Object.assign(new Error('Shard not found'), { name: 'ResourceNotFoundException' }));

    const read = await readRange(new KinesisClient({}), range);

    expect(read).toEqual({ ok: false, records: [], reason: expect.stringMatching(/aged out/) });
  });
});

describe('a discarded batch that cannot be read', () => {
  beforeEach(() => kinesisMock.reset());
  const malformed = { ...range, startSequenceNumber: 'abc', endSequenceNumber: 'abd' };

  it('says why instead of throwing, when Kinesis refuses the range a malformed letter names', async () => {
    kinesisMock.on(GetShardIteratorCommand).rejects(
      Object.assign(new Error("Value 'abc' at 'startingSequenceNumber' failed to satisfy constraint"), {
        name: 'ValidationException',
      }),
    );

    const read = await readRange(new KinesisClient({}), malformed);

    expect(read).toEqual({
      ok: false,
      records: [],
      reason: expect.stringMatching(
        /abc to abd of events\/shardId-000000000000 could not be read.*ValidationException/,
      ),
    });
  });

  it('keeps what it read when a later read fails', async () => {
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-1' }).resolves({
      Records: [{ SequenceNumber: '10', PartitionKey: 'a', Data: Buffer.from('x') }],
      NextShardIterator: 'it-2',
    });
    kinesisMock
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));

    const read = await readRange(new KinesisClient({}), {
      ...range,
      startSequenceNumber: '10',
      endSequenceNumber: '11',
    });

    expect(read).toMatchObject({ ok: false, reason: expect.stringMatching(/ProvisionedThroughputExceeded/) });
    expect(read.records.map((r) => r.sequenceNumber)).toEqual(['10']);
  });

  it('names the deleted stream as a cause when the stream or shard does not exist', async () => {
    kinesisMock
      .on(GetShardIteratorCommand)
      .rejects(Object.assign(new Error('Stream gone not found'), { name: 'ResourceNotFoundException' }));

    const read = await readRange(new KinesisClient({}), { ...range, streamName: 'gone' });

    expect(read).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/stream gone or its shard .* was deleted/),
    });
  });
});

describe('putting redriven copies on the stream', () => {
  beforeEach(() => kinesisMock.reset());
  const copies = ['a:1', 'a:2'].map((id) => ({ id, data: Buffer.from(id), partitionKey: id }));

  it('fails at once, naming why, when the stream is gone, instead of retrying until the budget runs out', async () => {
    kinesisMock
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('Stream events not found'), { name: 'ResourceNotFoundException' }));
    const started = Date.now();

    const outcome = await putCopies(new KinesisClient({}), 'events', copies, { budgetMs: 30_000 });

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(1);
    expect(outcome.acknowledged.size).toBe(0);
    expect([...outcome.failed.values()]).toEqual([
      'ResourceNotFoundException: Stream events not found',
      'ResourceNotFoundException: Stream events not found',
    ]);
  });

  describe('on a stream that takes one copy a call (a big redrive, throttled)', () => {
    const many = Array.from({ length: 30 }, (_, index) => ({
      id: `a:${index}`,
      data: Buffer.from(String(index)),
      partitionKey: `a:${index}`,
    }));
    const throttled = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' };
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Runs `putCopies` on fake timers to its end; the fake time it took. */
    async function putOnFakeTime(budgetMs: number) {
      vi.useFakeTimers();
      const started = Date.now();
      let outcome: Awaited<ReturnType<typeof putCopies>> | undefined;
      void putCopies(new KinesisClient({}), 'events', many, { budgetMs }).then((result) => {
        outcome = result;
      });
      while (!outcome) await vi.advanceTimersByTimeAsync(100);
      return { outcome, tookMs: Date.now() - started };
    }

    it('goes on while Kinesis takes copies, however long the whole redrive takes', async () => {
      // Prepare: each call acknowledges the first copy and throttles the rest
      kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
        Records: input.Records.map((_, position) =>
          position === 0 ? { SequenceNumber: '1', ShardId: 's' } : throttled,
        ),
      }));

      // Act
      const { outcome, tookMs } = await putOnFakeTime(5_000);

      // Assess: every copy taken, in more time than one budget
      expect(outcome.failed.size).toBe(0);
      expect(outcome.acknowledged.size).toBe(30);
      expect(tookMs).toBeGreaterThan(5_000);
    });

    it('stops after a whole budget in which Kinesis took nothing, naming why', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
        Records: input.Records.map(() => throttled),
      }));

      // Act
      const { outcome, tookMs } = await putOnFakeTime(5_000);

      // Assess
      expect(outcome.acknowledged.size).toBe(0);
      expect(outcome.failed.get('a:0')).toBe('ProvisionedThroughputExceededException: Rate exceeded');
      expect(tookMs).toBeLessThanOrEqual(5_100);
    });
  });

  it('retries what Kinesis throttles, and takes what it acknowledges', async () => {
    kinesisMock
      .on(PutRecordsCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }),
      )
      .resolves({
        Records: [
          { SequenceNumber: '1', ShardId: 's' },
          { SequenceNumber: '2', ShardId: 's' },
        ],
      });

    const outcome = await putCopies(new KinesisClient({}), 'events', copies, { budgetMs: 30_000 });

    expect(outcome.failed.size).toBe(0);
    expect([...outcome.acknowledged.keys()]).toEqual(['a:1', 'a:2']);
  });
});
