/**
 * What a DynamoDB failure means for the events whose rollups it was writing: the rollup writer's
 * classification, in one place (docs/decisions.md "Per event: done, duplicate, permanent, transient").
 *
 * - Throttling, conflicts, server errors and the network are transient: wait and retry.
 * - A missing table or a denied action is the deployment's fault, never an event's: transient too (the
 *   shard waits, the alarms fire, nothing is dead-lettered that a fix would have saved).
 * - A ValidationException is about what a request carries: some event of the group. The skeleton
 *   bisects the group until that event is alone, and dead-letters it alone.
 * - Anything else is unrecognised: bisected too; alone, it is the event's own only while the writer
 *   applied other events (`stream-consumer.ts`).
 */
import { errorSummary } from '../shared/error-summary.js';
import type { EventOutcome } from '../shared/stream-consumer.js';

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** What an error thrown by a DynamoDB call means for the events of the request. */
export function classifyDynamoError(error: unknown, step: string): EventOutcome {
  const summary = errorSummary(error);
  const reason = `${step} failed: ${summary.name}: ${summary.message}`;
  const fields = error as { $retryable?: unknown; $fault?: unknown } | undefined;
  const status = summary.statusCode;
  if (summary.name === 'ValidationException') {
    return { kind: 'group-failed', reasonCode: 'dynamodb-validation', reason, eventSpecific: true };
  }
  if (
    TRANSIENT_NAMES.has(summary.name) ||
    fields?.$retryable !== undefined ||
    fields?.$fault === 'server' ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    // Node.js system errors of the socket (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE...).
    /^E[A-Z]+$/.test(summary.code ?? '')
  ) {
    return { kind: 'transient', reason };
  }
  return { kind: 'group-failed', reasonCode: 'unrecognised-error', reason, eventSpecific: false };
}

/** Thrown by a rollup step to fail its whole group with a classified outcome. */
export class GroupFailure extends Error {
  constructor(readonly outcome: EventOutcome) {
    super(outcome.kind === 'done' || outcome.kind === 'duplicate' ? outcome.kind : outcome.reason);
    this.name = 'GroupFailure';
  }
}
