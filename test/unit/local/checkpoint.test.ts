import { describe, expect, it } from 'vitest';
import type {
  Decision,
  DecisionRecord,
  PendingBatch,
} from '../../../local/event-source-mapping/batch-decision.js';
import {
  compareSequenceNumbers,
  doneThrough,
  ShardCheckpoint,
} from '../../../local/event-source-mapping/checkpoint.js';

/** Kinesis-like sequence numbers: 56 digits, growing. */
const seq = (n: number) =>
  `4968044850962096125792067702870927153530761794009065${String(n).padStart(4, '0')}`;
const batchOf = (...numbers: number[]): PendingBatch => ({
  records: numbers.map((n): DecisionRecord => ({ sequenceNumber: seq(n), approximateArrivalTimestampMs: 0 })),
  retries: 0,
  invokeCount: 1,
});
const reason = { kind: 'partial-failure', failedSequenceNumber: seq(3) } as const;

describe('ShardCheckpoint', () => {
  it('starts before the first record', () => {
    expect(new ShardCheckpoint().sequenceNumber).toBeUndefined();
  });

  it('moves forward to each later sequence number', () => {
    // Prepare
    const checkpoint = new ShardCheckpoint();

    // Act
    checkpoint.advanceTo(seq(1));
    checkpoint.advanceTo(seq(5));

    // Assess
    expect(checkpoint.sequenceNumber).toBe(seq(5));
  });

  it('never moves back, even to a number that sorts later as text', () => {
    // Prepare
    const checkpoint = new ShardCheckpoint();
    checkpoint.advanceTo('100');

    // Act
    checkpoint.advanceTo('99');
    checkpoint.advanceTo('100');

    // Assess
    expect(checkpoint.sequenceNumber).toBe('100');
  });

  it('compares sequence numbers as numbers beyond 2^64', () => {
    expect(compareSequenceNumbers(seq(10), seq(9))).toBe(1);
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers(seq(7), seq(7))).toBe(0);
  });
});

describe('doneThrough', () => {
  it('is the whole batch after a success', () => {
    expect(doneThrough(batchOf(1, 2, 3), { action: 'checkpoint' })?.sequenceNumber).toBe(seq(3));
  });

  it('is the records before the lowest failure when a partial failure is retried', () => {
    // Prepare
    const decision: Decision = { action: 'retry', batch: batchOf(3, 4), reason };

    // Act
    const done = doneThrough(batchOf(1, 2, 3, 4), decision);

    // Assess
    expect(done?.sequenceNumber).toBe(seq(2));
  });

  it('is nothing when the whole batch is retried or bisected', () => {
    expect(doneThrough(batchOf(1, 2), { action: 'retry', batch: batchOf(1, 2), reason })).toBeUndefined();
    expect(
      doneThrough(batchOf(1, 2), { action: 'bisect', batches: [batchOf(1), batchOf(2)], reason }),
    ).toBeUndefined();
  });

  it('is the whole batch after a discard: its successes and the records given up on', () => {
    // Prepare
    const decision: Decision = {
      action: 'discard',
      batch: batchOf(2, 3),
      condition: 'RetryAttemptsExhausted',
      functionError: undefined,
      reason,
    };

    // Act
    const done = doneThrough(batchOf(1, 2, 3), decision);

    // Assess
    expect(done?.sequenceNumber).toBe(seq(3));
  });
});
