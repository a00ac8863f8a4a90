/**
 * A shard's checkpoint: the sequence number of the last record the mapping is done with (processed, or
 * handed to the on-failure destination). Lambda resumes a shard after it, so it only ever moves forward,
 * and it moves in one place: `ShardCheckpoint.advanceTo`, with the record `doneThrough` names.
 */
import type { Decision, DecisionRecord, PendingBatch } from './batch-decision.js';

export class ShardCheckpoint {
  #sequenceNumber: string | undefined;

  /** The last sequence number done with, or undefined before the first. */
  get sequenceNumber(): string | undefined {
    return this.#sequenceNumber;
  }

  /**
   * Moves the checkpoint to `sequenceNumber`. Sequence numbers of a shard grow with every record, so
   * one at or before the checkpoint is ignored: a checkpoint never moves back.
   */
  advanceTo(sequenceNumber: string): void {
    if (
      this.#sequenceNumber !== undefined &&
      compareSequenceNumbers(sequenceNumber, this.#sequenceNumber) <= 0
    )
      return;
    this.#sequenceNumber = sequenceNumber;
  }
}

/**
 * The last record of `invoked` that `decision` is done with, i.e. where the checkpoint moves once the
 * decision is carried out (for a discard, once the on-failure destination has the record):
 * - checkpoint: the whole batch;
 * - retry after a partial failure: the records before the lowest failure;
 * - bisect: nothing yet (the halves are still to run);
 * - discard: the whole batch, its successes and the records given up on.
 */
export function doneThrough<R extends DecisionRecord>(
  invoked: PendingBatch<R>,
  decision: Decision<R>,
): R | undefined {
  switch (decision.action) {
    case 'checkpoint':
    case 'discard':
      return invoked.records[invoked.records.length - 1];
    case 'retry': {
      const succeeded = invoked.records.length - decision.batch.records.length;
      return succeeded > 0 ? invoked.records[succeeded - 1] : undefined;
    }
    case 'bisect':
      return undefined;
  }
}

/** Orders two Kinesis sequence numbers (decimal strings of up to 128 digits). */
export function compareSequenceNumbers(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference === 0n ? 0 : difference > 0n ? 1 : -1;
}
