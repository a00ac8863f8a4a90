import { describe, expect, it } from 'vitest';
import { jitteredDelay } from '../../../lambdas/shared/retry.js';
import { DURABLE_MAX_RECORD_AGE_SECONDS } from '../../../lib/topology.js';
import {
  type DecisionRecord,
  type DecisionSettings,
  decideAfterInvocation,
  isTooOld,
  mayRetry,
  type PendingBatch,
  readBatchItemFailures,
} from '../../../local/event-source-mapping/batch-decision.js';
import { MAPPING_RETRY_BACKOFF } from '../../../local/event-source-mapping/kinesis-event-source-mapping.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

const settings = (overrides: Partial<DecisionSettings> = {}): DecisionSettings => ({
  maximumRetryAttempts: 2,
  maximumRecordAgeInSeconds: 3600,
  bisectBatchOnFunctionError: false,
  reportBatchItemFailures: true,
  ...overrides,
});

function records(count: number, arrivedSecondsAgo = 1): DecisionRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    sequenceNumber: `4960${String(index + 1).padStart(4, '0')}`,
    approximateArrivalTimestampMs: NOW - arrivedSecondsAgo * 1000,
  }));
}

/** A batch right after its first invocation. */
function invoked(count: number, overrides: Partial<PendingBatch> = {}): PendingBatch {
  return { records: records(count), retries: 0, invokeCount: 1, ...overrides };
}

const ok = (payload: unknown) => ({ kind: 'response', payload }) as const;
const thrown = { kind: 'function-error', errorType: 'Error', errorMessage: 'boom' } as const;
const seq = (batch: PendingBatch) => batch.records.map((record) => record.sequenceNumber);

describe('readBatchItemFailures', () => {
  const batch = records(3);

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty object', {}],
    ['batchItemFailures: null', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
    ['a string', 'done'],
  ])('treats %s as complete success', (_label, payload) => {
    // Act
    const verdict = readBatchItemFailures(payload, batch);

    // Assess
    expect(verdict).toEqual({ kind: 'success' });
  });

  it('points at the lowest failed record whatever the order of the failures', () => {
    // Act
    const verdict = readBatchItemFailures(
      { batchItemFailures: [{ itemIdentifier: '49600003' }, { itemIdentifier: '49600002' }] },
      batch,
    );

    // Assess
    expect(verdict).toEqual({ kind: 'partial', fromIndex: 1, sequenceNumber: '49600002' });
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a misspelt key', { batchItemFailures: [{ itemIdentifer: '49600001' }] }],
    ['a sequence number outside the batch', { batchItemFailures: [{ itemIdentifier: '123' }] }],
    ['a valid and an invalid identifier', { batchItemFailures: [{ itemIdentifier: '49600002' }, {}] }],
    ['a non-list', { batchItemFailures: '49600001' }],
  ])('fails the whole batch on %s', (_label, payload) => {
    // Act
    const verdict = readBatchItemFailures(payload, batch);

    // Assess
    expect(verdict.kind).toBe('invalid');
  });
});

describe('decideAfterInvocation', () => {
  it('checkpoints a batch without failures', () => {
    // Act
    const decision = decideAfterInvocation(invoked(3), ok({ batchItemFailures: [] }), settings(), NOW);

    // Assess
    expect(decision).toEqual({ action: 'checkpoint' });
  });

  it('retries from the lowest failed record to the end of the batch', () => {
    // Prepare
    const payload = { batchItemFailures: [{ itemIdentifier: '49600004' }, { itemIdentifier: '49600002' }] };

    // Act
    const decision = decideAfterInvocation(invoked(5), ok(payload), settings(), NOW);

    // Assess
    expect(decision.action).toBe('retry');
    if (decision.action !== 'retry') return;
    expect(seq(decision.batch)).toEqual(['49600002', '49600003', '49600004', '49600005']);
    expect(decision.batch.retries).toBe(1);
    expect(decision.reason).toEqual({ kind: 'partial-failure', failedSequenceNumber: '49600002' });
  });

  it('retries the whole batch when an identifier is invalid, without bisecting', () => {
    // Act
    const decision = decideAfterInvocation(
      invoked(4),
      ok({ batchItemFailures: [{ itemIdentifier: '' }] }),
      settings({ bisectBatchOnFunctionError: true }),
      NOW,
    );

    // Assess
    expect(decision.action).toBe('retry');
    if (decision.action !== 'retry') return;
    expect(decision.batch.records).toHaveLength(4);
    expect(decision.reason.kind).toBe('invalid-response');
  });

  it('ignores the response when ReportBatchItemFailures is off', () => {
    // Act
    const decision = decideAfterInvocation(
      invoked(2),
      ok({ batchItemFailures: [{ itemIdentifier: '49600001' }] }),
      settings({ reportBatchItemFailures: false }),
      NOW,
    );

    // Assess
    expect(decision).toEqual({ action: 'checkpoint' });
  });

  it('retries the whole batch on a function error without bisect', () => {
    // Act
    const decision = decideAfterInvocation(invoked(3), thrown, settings(), NOW);

    // Assess
    expect(decision.action).toBe('retry');
    if (decision.action !== 'retry') return;
    expect(decision.batch.records).toHaveLength(3);
    expect(decision.reason.kind).toBe('function-error');
  });

  it('bisects on a function error, keeping order and the retry count', () => {
    // Act
    const decision = decideAfterInvocation(
      invoked(5, { retries: 1, invokeCount: 2 }),
      thrown,
      settings({ bisectBatchOnFunctionError: true }),
      NOW,
    );

    // Assess
    expect(decision.action).toBe('bisect');
    if (decision.action !== 'bisect') return;
    const [first, second] = decision.batches;
    expect(seq(first)).toEqual(['49600001', '49600002', '49600003']);
    expect(seq(second)).toEqual(['49600004', '49600005']);
    expect([first.retries, second.retries]).toEqual([1, 1]);
    expect([first.invokeCount, second.invokeCount]).toEqual([2, 2]);
  });

  it('retries a single record instead of bisecting it', () => {
    // Act
    const decision = decideAfterInvocation(
      invoked(1),
      thrown,
      settings({ bisectBatchOnFunctionError: true }),
      NOW,
    );

    // Assess
    expect(decision.action).toBe('retry');
  });

  it('bisects only on function errors, not on reported item failures', () => {
    // Act
    const decision = decideAfterInvocation(
      invoked(4),
      ok({ batchItemFailures: [{ itemIdentifier: '49600003' }] }),
      settings({ bisectBatchOnFunctionError: true }),
      NOW,
    );

    // Assess
    expect(decision.action).toBe('retry');
    if (decision.action !== 'retry') return;
    expect(seq(decision.batch)).toEqual(['49600003', '49600004']);
  });

  it('discards a function-error batch whose retries are spent', () => {
    // Act
    const decision = decideAfterInvocation(
      invoked(2, { retries: 2, invokeCount: 3 }),
      thrown,
      settings(),
      NOW,
    );

    // Assess
    expect(decision).toMatchObject({
      action: 'discard',
      condition: 'RetryAttemptsExhausted',
      functionError: 'Unhandled',
      batch: { invokeCount: 3 },
    });
  });

  it('discards only the failed tail of a partial failure, without a function error', () => {
    // Act
    const decision = decideAfterInvocation(
      invoked(3, { retries: 2, invokeCount: 3 }),
      ok({ batchItemFailures: [{ itemIdentifier: '49600002' }] }),
      settings(),
      NOW,
    );

    // Assess
    expect(decision.action).toBe('discard');
    if (decision.action !== 'discard') return;
    expect(seq(decision.batch)).toEqual(['49600002', '49600003']);
    expect(decision.functionError).toBeUndefined();
    expect(decision.condition).toBe('RetryAttemptsExhausted');
  });

  it('discards instead of retrying once MaximumRetryAttempts is 0', () => {
    // Act
    const decision = decideAfterInvocation(invoked(1), thrown, settings({ maximumRetryAttempts: 0 }), NOW);

    // Assess
    expect(decision).toMatchObject({ action: 'discard', condition: 'RetryAttemptsExhausted' });
  });

  it('keeps retrying when MaximumRetryAttempts is -1', () => {
    // Act
    const decision = decideAfterInvocation(
      invoked(1, { retries: 10_000 }),
      thrown,
      settings({ maximumRetryAttempts: -1 }),
      NOW,
    );

    // Assess
    expect(decision.action).toBe('retry');
  });

  it('does not retry records older than MaximumRecordAgeInSeconds, even with retries left', () => {
    // Prepare
    const batch: PendingBatch = { records: records(2, 61), retries: 0, invokeCount: 1 };

    // Act
    const decision = decideAfterInvocation(batch, thrown, settings({ maximumRecordAgeInSeconds: 60 }), NOW);

    // Assess
    expect(decision).toMatchObject({ action: 'discard', condition: 'RecordAgeExceeded' });
  });
});

describe('retry bounds', () => {
  it.each([
    [0, 0, false],
    [0, 1, true],
    [1, 1, false],
    [5, -1, true],
  ])('after %i retries with a maximum of %i, may retry: %s', (spent, maximum, expected) => {
    expect(mayRetry(spent, maximum)).toBe(expected);
  });

  it('never expires records with a maximum age of -1', () => {
    expect(isTooOld(records(1, 10 ** 7), -1, NOW)).toBe(false);
  });

  it('never lets the backoff between retries grow past its cap, however many were spent', () => {
    // Prepare
    const alwaysTheMost = () => 0.999_999;

    // Act
    const delays = [1, 2, 5, 10, 1_000, 1_000_000].map((spent) =>
      jitteredDelay(spent, MAPPING_RETRY_BACKOFF, alwaysTheMost),
    );

    // Assess
    expect(delays.every((delay) => Number.isFinite(delay) && delay < MAPPING_RETRY_BACKOFF.maxDelayMs)).toBe(
      true,
    );
    expect(delays.at(-1)).toBeGreaterThan(MAPPING_RETRY_BACKOFF.maxDelayMs / 2);
  });
});

describe('a durable mapping (MaximumRetryAttempts -1, the durable record age)', () => {
  const durable = settings({
    maximumRetryAttempts: -1,
    maximumRecordAgeInSeconds: DURABLE_MAX_RECORD_AGE_SECONDS,
    bisectBatchOnFunctionError: true,
  });

  it.each([
    ['a minute', 60, 30],
    ['a day', 24 * 3600, 40_000],
    ['five days', 5 * 24 * 3600, 200_000],
  ])('keeps retrying through an outage of %s, never discarding', (_label, outageSeconds, retriesSpent) => {
    // Prepare: a partial failure (the indexer reports its records failed while OpenSearch is down).
    const batch = {
      records: records(3, outageSeconds),
      retries: retriesSpent,
      invokeCount: retriesSpent + 1,
    };
    const failure = ok({ batchItemFailures: [{ itemIdentifier: batch.records[0]?.sequenceNumber }] });

    // Act
    const afterPartial = decideAfterInvocation(batch, failure, durable, NOW);
    const afterError = decideAfterInvocation(
      { ...batch, records: batch.records.slice(0, 1) },
      thrown,
      durable,
      NOW,
    );

    // Assess
    expect(afterPartial).toMatchObject({ action: 'retry', batch: { retries: retriesSpent + 1 } });
    expect(afterError).toMatchObject({ action: 'retry' });
  });

  it('discards only once the records are older than the durable record age, a day before the stream drops them', () => {
    // Prepare
    const batch = invoked(1, { records: records(1, DURABLE_MAX_RECORD_AGE_SECONDS + 1) });

    // Act
    const decision = decideAfterInvocation(batch, thrown, durable, NOW);

    // Assess
    expect(decision).toMatchObject({ action: 'discard', condition: 'RecordAgeExceeded' });
  });
});
