/**
 * The pure core of the local Kinesis event source mapping: given a batch that was just invoked and what
 * the function answered, decide what Lambda would do next. No I/O, no clock of its own, so every rule
 * of https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (batching, error handling,
 * ReportBatchItemFailures) is unit-tested here, and the poller only carries the decisions out.
 */

/** The part of a stream record the decisions need. */
export interface DecisionRecord {
  sequenceNumber: string;
  /** When Kinesis accepted the record, epoch milliseconds. */
  approximateArrivalTimestampMs: number;
}

/** Records in flight together, with how often they (or the batch they were split from) were tried. */
export interface PendingBatch<R extends DecisionRecord = DecisionRecord> {
  records: R[];
  /**
   * Retries already spent on these records. Bisecting does not spend one (the halves inherit the
   * count of the batch they were split from); a plain retry does.
   */
  retries: number;
  /** Invocations that carried these records so far: `approximateInvokeCount` of the on-failure record. */
  invokeCount: number;
}

/** What the invocation produced, from the mapping's point of view. */
export type InvocationOutcome =
  | { kind: 'response'; payload: unknown }
  /** Thrown error, timeout or crash: Lambda reports all of them as a function error. */
  | { kind: 'function-error'; errorType: string; errorMessage: string };

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export type Decision<R extends DecisionRecord = DecisionRecord> =
  /** Every record succeeded: checkpoint past the batch. */
  | { action: 'checkpoint' }
  /** Retry `batch`; records before it (a partial failure's successes) are checkpointed. */
  | { action: 'retry'; batch: PendingBatch<R>; reason: RetryReason }
  /** Function error with BisectBatchOnFunctionError: retry the halves, first then second. */
  | { action: 'bisect'; batches: [PendingBatch<R>, PendingBatch<R>]; reason: RetryReason }
  /** Give up on `batch`: send its metadata to the on-failure destination and move past it. */
  | {
      action: 'discard';
      batch: PendingBatch<R>;
      condition: FailureCondition;
      /** `Unhandled` for a function error, absent for reported item failures (like AWS's record). */
      functionError: 'Unhandled' | undefined;
      reason: RetryReason;
    };

export type RetryReason =
  | { kind: 'function-error'; errorType: string; errorMessage: string }
  | { kind: 'partial-failure'; failedSequenceNumber: string }
  | { kind: 'invalid-response'; detail: string };

/** Mapping settings that shape the decision, named after the CloudFormation properties. */
export interface DecisionSettings {
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
}

type ResponseVerdict =
  | { kind: 'success' }
  | { kind: 'partial'; fromIndex: number; sequenceNumber: string }
  | { kind: 'invalid'; detail: string };

/**
 * Reads a function response under ReportBatchItemFailures. AWS: a null/empty response, a missing or
 * null `batchItemFailures`, or an empty list is complete success; an item failure whose `itemIdentifier`
 * is null, empty, or not a sequence number of the batch makes the whole batch fail. Several failures
 * checkpoint at the lowest one, so the verdict is the earliest failed position in the batch.
 */
export function readBatchItemFailures(payload: unknown, records: readonly DecisionRecord[]): ResponseVerdict {
  if (payload === null || payload === undefined || typeof payload !== 'object' || Array.isArray(payload)) {
    // A non-object answer (a string, a number) carries no failures; Lambda only inspects the JSON object.
    return { kind: 'success' };
  }
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'invalid', detail: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };

  const positions = new Map(records.map((record, index) => [record.sequenceNumber, index]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id =
      failure !== null && typeof failure === 'object'
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '') {
      return { kind: 'invalid', detail: `itemIdentifier ${JSON.stringify(id ?? null)} is null or empty` };
    }
    const position = positions.get(id);
    if (position === undefined) {
      return { kind: 'invalid', detail: `itemIdentifier ${id} is not a sequence number of the batch` };
    }
    lowest = Math.min(lowest, position);
  }
  const failed = records[lowest];
  if (failed === undefined) return { kind: 'invalid', detail: 'no failed record' };
  return { kind: 'partial', fromIndex: lowest, sequenceNumber: failed.sequenceNumber };
}

/**
 * Decides the next step for `batch` after it was invoked once more (`batch.invokeCount` already counts
 * that invocation). `nowMs` is the mapping's clock, used for MaximumRecordAgeInSeconds.
 *
 * Rules (AWS Lambda developer guide, "Kinesis: error handling" and "ReportBatchItemFailures"):
 * - partial failure: checkpoint before the lowest failed record, retry it and everything after it;
 * - invalid item identifiers or a function error: the whole batch failed;
 * - a function error with BisectBatchOnFunctionError splits a batch of 2+ records in two, without
 *   spending a retry; a single record can only be retried;
 * - retries are bounded by MaximumRetryAttempts (-1 = until the record expires), and a batch whose
 *   oldest record is older than MaximumRecordAgeInSeconds (-1 = never) is not retried;
 * - a batch that may not be retried is discarded to the on-failure destination.
 */
export function decideAfterInvocation<R extends DecisionRecord>(
  batch: PendingBatch<R>,
  outcome: InvocationOutcome,
  settings: DecisionSettings,
  nowMs: number,
): Decision<R> {
  let failed: PendingBatch<R>;
  let reason: RetryReason;
  let functionError: 'Unhandled' | undefined;

  if (outcome.kind === 'function-error') {
    reason = { kind: 'function-error', errorType: outcome.errorType, errorMessage: outcome.errorMessage };
    functionError = 'Unhandled';
    failed = batch;
  } else {
    // Without ReportBatchItemFailures the response is ignored: any answer is a success.
    if (!settings.reportBatchItemFailures) return { action: 'checkpoint' };
    const verdict = readBatchItemFailures(outcome.payload, batch.records);
    if (verdict.kind === 'success') return { action: 'checkpoint' };
    functionError = undefined;
    if (verdict.kind === 'invalid') {
      reason = { kind: 'invalid-response', detail: verdict.detail };
      failed = batch;
    } else {
      reason = { kind: 'partial-failure', failedSequenceNumber: verdict.sequenceNumber };
      failed = { ...batch, records: batch.records.slice(verdict.fromIndex) };
    }
  }

  if (isTooOld(failed.records, settings.maximumRecordAgeInSeconds, nowMs)) {
    return { action: 'discard', batch: failed, condition: 'RecordAgeExceeded', functionError, reason };
  }

  if (outcome.kind === 'function-error' && settings.bisectBatchOnFunctionError && failed.records.length > 1) {
    const middle = Math.ceil(failed.records.length / 2);
    return {
      action: 'bisect',
      batches: [
        { ...failed, records: failed.records.slice(0, middle) },
        { ...failed, records: failed.records.slice(middle) },
      ],
      reason,
    };
  }

  if (!mayRetry(failed.retries, settings.maximumRetryAttempts)) {
    return { action: 'discard', batch: failed, condition: 'RetryAttemptsExhausted', functionError, reason };
  }
  return { action: 'retry', batch: { ...failed, retries: failed.retries + 1 }, reason };
}

/** True when another retry is allowed after `retriesSpent` (-1 = retry until the records expire). */
export function mayRetry(retriesSpent: number, maximumRetryAttempts: number): boolean {
  return maximumRetryAttempts < 0 || retriesSpent < maximumRetryAttempts;
}

/** True when the oldest record is past MaximumRecordAgeInSeconds (-1 = records never expire). */
export function isTooOld(
  records: readonly DecisionRecord[],
  maximumRecordAgeInSeconds: number,
  nowMs: number,
) {
  if (maximumRecordAgeInSeconds < 0 || records.length === 0) return false;
  const oldest = Math.min(...records.map((record) => record.approximateArrivalTimestampMs));
  return nowMs - oldest > maximumRecordAgeInSeconds * 1000;
}
