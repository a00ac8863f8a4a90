/**
 * Giving back to a key what it was charged for events Kinesis then did not acknowledge. The 503 names
 * them and the client resends them; charged twice, a resend of a full burst would meet a 429 for events
 * that were never written, and wait out a limit it never used.
 *
 * The limit exists for the stream: what a key writes stays within its burst plus its rate times the
 * time elapsed. A refund removes only the charge of events that were not written, with one conditional
 * write, `SET tat = tat - :cost` while `tat` lies ahead of now (an idle key has nothing to give back).
 * If the rate has already paid part of the charge back, `tat` may land behind now: the admission treats
 * every `tat` behind now alike, as a full bucket, so a refund never gives more than a full bucket, and
 * what is written stays within the bound (the property test in event-refund.test.ts).
 *
 * A refund that fails is logged and forgotten: the events' answer (the 503) does not depend on it, and
 * the worst outcome is the double charge it exists to avoid.
 */
import type { EventLimits } from '../shared/config.js';
import { type DynamoDbCall, isConditionFailure } from '../shared/dynamodb-json.js';
import { errorSummary } from '../shared/error-summary.js';
import type { Log } from '../shared/logger.js';
import { costOf, numbers } from './event-admission.js';

/** Gives back to `keyId` the charge of `events` events that were admitted and not written. */
export type EventRefund = (keyId: string, events: number, limits: EventLimits) => Promise<void>;

export interface EventRefundOptions {
  call: DynamoDbCall;
  tableName: string;
  /** Epoch milliseconds. */
  now: () => number;
  log: Log;
  /** How long a refund may take: it runs between Kinesis giving up and the 503 going out. */
  timeoutMs?: number;
}

/** Half of the second ingest keeps back to answer after its last PutRecords attempt. */
const DEFAULT_TIMEOUT_MS = 500;

export function createEventRefund(options: EventRefundOptions): EventRefund {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return async (keyId, events, limits) => {
    const cost = costOf(events, limits);
    const now = options.now() * 1_000;
    try {
      await options.call(
        'UpdateItem',
        {
          TableName: options.tableName,
          Key: { keyId: { S: keyId } },
          UpdateExpression: 'SET tat = tat - :cost',
          ConditionExpression: 'tat > :now',
          ExpressionAttributeValues: numbers({ ':cost': cost, ':now': now }),
        },
        AbortSignal.timeout(timeoutMs),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      options.log.warn('event admission refund failed: resent events may wait for their limit', {
        keyId,
        events,
        error: errorSummary(error),
      });
    }
  };
}
