/**
 * Per-key event admission: each key may put at most its event rate on the stream, with bursts up to
 * its event burst, however many execution environments serve it. A request's limit (API Gateway's
 * usage plan) counts requests of 1 event and of 500 alike, so without this one key could fill the
 * stream every account shares, and the others' events would wait behind it or fail.
 *
 * The algorithm is GCRA (the generic cell rate algorithm, a token bucket kept as one number): each key
 * has a theoretical arrival time `tat`, the moment its bucket would be full again. A request of `n`
 * events costs `n` emission intervals (`1 / rate`); it is admitted when, after paying, `tat` lies at
 * most one burst's worth of intervals ahead of now. The state lives in one DynamoDB item per key,
 * updated with a conditional write that is atomic without a read first:
 *
 * - idle key (`tat <= now`, or no item): `SET tat = now + cost`;
 * - busy key (`now < tat <= now + burst - cost`): `SET tat = tat + cost`;
 * - a `tat` beyond `now + burst` and the time limit (set under other limits): back to `now + burst`.
 *
 * A failed condition returns the item (`ReturnValuesOnConditionCheckFailure`), which says which case
 * holds, or that the key is over its limit and for how long. Times are whole microseconds (below 2^53
 * for centuries, so exact as JavaScript numbers and as DynamoDB numbers).
 *
 * When DynamoDB cannot answer in time the request is admitted and the failure logged and counted:
 * refusing every client's events while the stream would take them is worse than a limit unenforced for
 * the length of an outage (docs/decisions.md, "Per-key event limits").
 */

import type { EventLimits } from '../shared/config.js';
import { type DynamoDbCall, DynamoDbError, isConditionFailure } from '../shared/dynamodb-json.js';
import { errorSummary } from '../shared/error-summary.js';
import type { Log } from '../shared/logger.js';

export type AdmissionVerdict =
  /** Charged to the key's limit, or `unchecked`: admitted without, the table not answering in time. */
  | { admitted: true; unchecked?: true }
  /** Over the key's limit: when it may send these events again, and how many it could send now. */
  | { admitted: false; retryAfterSeconds: number; remaining: number }
  /** More events than the key's burst: no wait will ever admit them in one request. */
  | { admitted: false; overBurst: true };

/** Asks whether `keyId` may put `events` more events on the stream now. */
export type EventAdmission = (
  keyId: string,
  events: number,
  limits: EventLimits,
) => Promise<AdmissionVerdict>;

export interface EventAdmissionOptions {
  /** DynamoDB's JSON protocol (`dynamodb-json.ts`: the SDK client would put ingest over its bundle budget). */
  call: DynamoDbCall;
  tableName: string;
  /** Epoch milliseconds. */
  now: () => number;
  log: Log;
  /** How long one admission may wait for DynamoDB before the request is admitted unchecked. */
  timeoutMs?: number;
  /** Counts an admission that DynamoDB could not check (the request was admitted). */
  onUnchecked?: () => void;
}

/**
 * How long one admission waits for DynamoDB: a fifth of ingest's 10 s, leaving the rest to PutRecords
 * and its retries. DynamoDB answers in milliseconds; DynamoDB Local on a busy machine can take a second.
 */
const DEFAULT_TIMEOUT_MS = 2_000;
/** Conditional writes tried before giving up on a key that others keep changing. */
const MAX_ATTEMPTS = 3;
/** How long an idle key's item outlives its `tat` before TTL removes it (TTL deletes lazily anyway). */
const EXPIRY_MARGIN_SECONDS = 3_600;
/** Keys whose last `tat` is remembered to pick the likely write first; beyond it the memory starts over. */
const MAX_REMEMBERED_KEYS = 1_000;

const MICROS_PER_SECOND = 1_000_000;

/**
 * `idle` and `busy` admit a request; `full` admits nothing: it brings a `tat` (`seen`) further ahead than
 * the key's limits can put it (run up under other limits, or by an environment whose clock runs ahead)
 * back to a full bucket under the limits the key has now, so it waits no longer than they say.
 */
type Write = 'idle' | 'busy' | { full: number };

/** The admission of `options.tableName`. */
export function createEventAdmission(options: EventAdmissionOptions): EventAdmission {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The last `tat` this environment saw per key: a busy key's next request tries the busy write first.
  const lastTat = new Map<string, number>();

  return async (keyId, events, limits) => {
    if (events > limits.eventBurstLimit) return { admitted: false, overBurst: true };
    const interval = emissionInterval(limits);
    const cost = costOf(events, limits);
    const tolerance = Math.floor(limits.eventBurstLimit * interval);
    const now = options.now() * 1_000;
    const signal = AbortSignal.timeout(timeoutMs);
    const update = (write: Write) =>
      options.call(
        'UpdateItem',
        {
          TableName: options.tableName,
          Key: { keyId: { S: keyId } },
          ...(typeof write === 'object'
            ? {
                UpdateExpression: 'SET tat = :next, expiresAt = :expires',
                ConditionExpression: 'tat = :seen',
                ExpressionAttributeValues: numbers({
                  ':next': now + tolerance,
                  ':seen': write.full,
                  ':expires': expiry(now, tolerance),
                }),
              }
            : write === 'idle'
              ? {
                  UpdateExpression: 'SET tat = :next, expiresAt = :expires',
                  ConditionExpression: 'attribute_not_exists(tat) OR tat <= :now',
                  ExpressionAttributeValues: numbers({
                    ':next': now + cost,
                    ':now': now,
                    ':expires': expiry(now, tolerance),
                  }),
                }
              : {
                  UpdateExpression: 'SET tat = tat + :cost, expiresAt = :expires',
                  ConditionExpression: 'tat > :now AND tat <= :latest',
                  ExpressionAttributeValues: numbers({
                    ':cost': cost,
                    ':now': now,
                    ':latest': now + tolerance - cost,
                    ':expires': expiry(now, tolerance),
                  }),
                }),
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        signal,
      );
    const remembered = lastTat.get(keyId);
    let write: Write = remembered !== undefined && remembered > now ? 'busy' : 'idle';
    let retried = false;
    try {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        try {
          const { Attributes } = await update(write);
          const tat = tatOf(Attributes);
          if (tat !== undefined) remember(lastTat, keyId, tat);
          if (typeof write === 'object') return refused(now + tolerance, now, cost, tolerance, interval);
          return { admitted: true };
        } catch (error) {
          if (!isConditionFailure(error)) {
            // Once, at once: mostly a keep-alive socket the server closed while the environment was
            // frozen, which the SDK clients retry too. A second failure fails the check open.
            if (retried || signal.aborted || !worthRetrying(error)) throw error;
            retried = true;
            continue;
          }
          const tat = error.body.Item ? tatOf(error.body.Item) : await readTat(options, keyId, signal);
          if (tat !== undefined) remember(lastTat, keyId, tat);
          if (tat === undefined || tat <= now) write = 'idle';
          else if (tat + cost - now <= tolerance) write = 'busy';
          // Beyond what a request that read its clock up to `timeoutMs` later could have written.
          else if (tat - now > tolerance + timeoutMs * 1_000) write = { full: tat };
          else return refused(tat, now, cost, tolerance, interval);
        }
      }
      // Other environments kept moving the key's state between our reads: it is that busy.
      return { admitted: false, retryAfterSeconds: 1, remaining: 0 };
    } catch (error) {
      options.log.warn('event admission unchecked: the admission table did not answer', {
        keyId,
        events,
        error: errorSummary(error),
      });
      options.onUnchecked?.();
      return { admitted: true, unchecked: true };
    }
  };
}

/**
 * Microseconds between two events at the key's rate. Times are whole microseconds: above a million
 * events a second an interval would round to nothing or to one, and a bigger rate (a key item edited by
 * hand) would admit less, not more, so rates above it count as a million.
 */
function emissionInterval(limits: EventLimits): number {
  return MICROS_PER_SECOND / Math.min(limits.eventRateLimit, MICROS_PER_SECOND);
}

/** What `events` events cost a key, in microseconds of its `tat`. */
export function costOf(events: number, limits: EventLimits): number {
  return Math.ceil(events * emissionInterval(limits));
}

/**
 * A failure another attempt may not meet: the connection (a reset or refused socket, `ECONNRESET`…),
 * or DynamoDB throttled or failing on its side. Not the time limit, and not an answer about the request.
 */
function worthRetrying(error: unknown): boolean {
  if (error instanceof DynamoDbError) return error.statusCode >= 500 || THROTTLED.has(error.type);
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/** The refusal of a request costing `cost` while the key's `tat` lies too far ahead. */
function refused(
  tat: number,
  now: number,
  cost: number,
  tolerance: number,
  interval: number,
): AdmissionVerdict {
  const waitMicros = tat + cost - tolerance - now;
  const free = Math.max(0, tolerance - (tat - now));
  return {
    admitted: false,
    retryAfterSeconds: Math.max(1, Math.ceil(waitMicros / MICROS_PER_SECOND)),
    remaining: Math.floor(free / interval),
  };
}

/** Epoch seconds after which the key's item no longer matters: its `tat` lies at most `tolerance` ahead. */
function expiry(now: number, tolerance: number): number {
  return Math.ceil((now + tolerance) / MICROS_PER_SECOND) + EXPIRY_MARGIN_SECONDS;
}

/** Numbers as DynamoDB attribute values. */
export function numbers(values: Record<string, number>): Record<string, { N: string }> {
  const attributes: Record<string, { N: string }> = {};
  for (const [name, value] of Object.entries(values)) attributes[name] = { N: String(value) };
  return attributes;
}

/** `tat` of an item as DynamoDB returns it (`{ tat: { N: '…' } }`), if it has one. */
function tatOf(item: unknown): number | undefined {
  const tat = (item as { tat?: { N?: unknown } } | undefined)?.tat?.N;
  const value = typeof tat === 'string' ? Number(tat) : Number.NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** `tat` read back, for a DynamoDB that does not return the item with a failed condition. */
async function readTat(
  options: EventAdmissionOptions,
  keyId: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const { Item } = await options.call(
    'GetItem',
    { TableName: options.tableName, Key: { keyId: { S: keyId } }, ConsistentRead: true },
    signal,
  );
  return tatOf(Item);
}

function remember(lastTat: Map<string, number>, keyId: string, tat: number): void {
  if (lastTat.size >= MAX_REMEMBERED_KEYS && !lastTat.has(keyId)) lastTat.clear();
  lastTat.set(keyId, tat);
}
