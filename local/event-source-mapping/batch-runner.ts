/**
 * Runs one batch of a shard to its end, as Lambda does: invoke, let `batch-decision.ts` decide, carry
 * the decision out (retry after a backoff, bisect, or discard to the on-failure destination), and move
 * the checkpoint past what the decision is done with, in one place. The next batch of the shard waits
 * for this one: one batch in flight per shard keeps per-key order.
 */
import { ENDED, type Lifetime } from '../lifetime.js';
import type { InvocationResult, LocalFunction } from '../runtime/function-host.js';
import {
  type Decision,
  type DecisionSettings,
  decideAfterInvocation,
  type InvocationOutcome,
  type PendingBatch,
  type RetryReason,
} from './batch-decision.js';
import { doneThrough, type ShardCheckpoint } from './checkpoint.js';
import {
  type EventSource,
  kinesisStreamEvent,
  type OnFailureRecord,
  onFailureRecord,
  type StreamRecord,
} from './kinesis-event.js';

/** What happened on a shard so far; the mapping's stats sum them over its shards. */
export interface ShardCounters {
  invocations: number;
  recordsInvoked: number;
  batchesSucceeded: number;
  retries: number;
  bisections: number;
  discardedBatches: number;
  discardedRecords: number;
}

export const noCounts = (): ShardCounters => ({
  invocations: 0,
  recordsInvoked: 0,
  batchesSucceeded: 0,
  retries: 0,
  bisections: 0,
  discardedBatches: 0,
  discardedRecords: 0,
});

/** What a batch runs against; shared by every shard of a mapping. */
export interface BatchContext {
  fn: LocalFunction;
  source: EventSource;
  settings: DecisionSettings;
  lifetime: Lifetime;
  /** Delay before retry number `retriesSpent` (also between on-failure delivery attempts). */
  retryDelayMs: (retriesSpent: number) => number;
  /** The on-failure destination; a rejection is retried until it accepts. */
  onFailure: (record: OnFailureRecord) => Promise<void>;
  now: () => number;
  log: (line: string) => void;
}

/** The shard a batch belongs to: where its checkpoint moves and what it counts. */
export interface BatchShard {
  shardId: string;
  checkpoint: ShardCheckpoint;
  counters: ShardCounters;
}

/** Runs `records` until every one of them is done with; `stopped` when the mapping stopped first. */
export async function runBatch(
  shard: BatchShard,
  records: StreamRecord[],
  context: BatchContext,
): Promise<'done' | 'stopped'> {
  const { lifetime } = context;
  const { counters } = shard;
  const work: PendingBatch<StreamRecord>[] = [{ records, retries: 0, invokeCount: 0 }];
  while (work.length > 0) {
    if (lifetime.ended) return 'stopped';
    const current = work[0] as PendingBatch<StreamRecord>;
    counters.invocations += 1;
    counters.recordsInvoked += current.records.length;
    const result = await lifetime.until(
      context.fn.invoke(kinesisStreamEvent(context.source, shard.shardId, current.records)),
    );
    if (result === ENDED) return 'stopped';
    const invoked = { ...current, invokeCount: current.invokeCount + 1 };
    const decision = decideAfterInvocation(invoked, outcomeOf(result), context.settings, context.now());

    const next = await carryOut(shard, current, decision, context);
    if (next === 'stopped') return 'stopped';
    const done = doneThrough(invoked, decision);
    if (done) shard.checkpoint.advanceTo(done.sequenceNumber);
    work.splice(0, 1, ...next.batches);
    if (next.delayMs > 0) await lifetime.sleep(next.delayMs);
  }
  return 'done';
}

/** Counts and logs a decision, delivers a discard's on-failure record; returns the work that follows. */
async function carryOut(
  shard: BatchShard,
  current: PendingBatch<StreamRecord>,
  decision: Decision<StreamRecord>,
  context: BatchContext,
): Promise<{ batches: PendingBatch<StreamRecord>[]; delayMs: number } | 'stopped'> {
  const { counters } = shard;
  const range = `${shard.shardId} ${current.records.length} record(s) from ${current.records[0]?.sequenceNumber}`;
  switch (decision.action) {
    case 'checkpoint':
      counters.batchesSucceeded += 1;
      return { batches: [], delayMs: 0 };
    case 'retry': {
      counters.retries += 1;
      const retry = decision.batch.retries;
      // An outage can mean thousands of retries: log the first ones, then ever fewer.
      if (isWorthLogging(retry)) context.log(`${range}: ${describeReason(decision.reason)}; retry ${retry}`);
      return { batches: [decision.batch], delayMs: context.retryDelayMs(retry) };
    }
    case 'bisect': {
      counters.bisections += 1;
      const [first, second] = decision.batches;
      context.log(
        `${range}: ${describeReason(decision.reason)}; bisecting into ${first.records.length} + ${second.records.length}`,
      );
      return { batches: decision.batches, delayMs: context.retryDelayMs(Math.max(1, current.retries)) };
    }
    case 'discard': {
      const discarded = decision.batch.records;
      context.log(
        `${range}: ${describeReason(decision.reason)}; ${decision.condition}, sending ${discarded.length} ` +
          'record(s) to the on-failure destination',
      );
      const record = onFailureRecord(context.source, shard.shardId, decision, context.now());
      if (!(await deliver(record, context))) return 'stopped';
      counters.discardedBatches += 1;
      counters.discardedRecords += discarded.length;
      return { batches: [], delayMs: 0 };
    }
  }
}

/** Delivers to the destination until it accepts: a discarded batch must leave a trace. */
async function deliver(record: OnFailureRecord, context: BatchContext): Promise<boolean> {
  for (let attempt = 1; !context.lifetime.ended; attempt += 1) {
    try {
      await context.onFailure(record);
      return true;
    } catch (error) {
      context.log(`on-failure destination rejected a record (attempt ${attempt}): ${describeError(error)}`);
      await context.lifetime.sleep(context.retryDelayMs(attempt));
    }
  }
  return false;
}

function outcomeOf(result: InvocationResult): InvocationOutcome {
  return result.status === 'ok'
    ? { kind: 'response', payload: result.payload }
    : { kind: 'function-error', errorType: result.errorType, errorMessage: result.errorMessage };
}

/** Retries 1-8, then every power of two and every hundredth. */
export function isWorthLogging(retry: number): boolean {
  return retry <= 8 || (retry & (retry - 1)) === 0 || retry % 100 === 0;
}

function describeReason(reason: RetryReason): string {
  switch (reason.kind) {
    case 'function-error':
      return `function error ${reason.errorType}: ${reason.errorMessage}`;
    case 'partial-failure':
      return `batch item failure from ${reason.failedSequenceNumber}`;
    case 'invalid-response':
      return `invalid batchItemFailures (${reason.detail}), the whole batch failed`;
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
