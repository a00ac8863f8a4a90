/**
 * Ingest: validate, store and put a request's events on the stream, answering 2xx only for events
 * Kinesis acknowledged. The caller is already known: the API's authorizer checked the key (in the
 * header or the `key` query parameter) and names its account and scope in the request context. What
 * Kinesis does not acknowledge within the request's time budget is named in a 503, so the client can
 * resend exactly those (with the same `event_id`, which every sink deduplicates on).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ApiKeyRecord } from '../shared/api-keys.js';
import type { EventLimits } from '../shared/config.js';
import { EVENT_ID_MAX_LENGTH, type FieldError, type TimestampBounds } from '../shared/event-schema.js';
import { isPlainObject, toWellFormed } from '../shared/event-storability.js';
import { validateIncomingEvent } from '../shared/event-validation.js';
import {
  BadRequestError,
  ForbiddenError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TooManyRequestsError,
} from '../shared/http.js';
import type { Log } from '../shared/logger.js';
import { countAdmission, type EventMetrics, metrics as processMetrics } from '../shared/metrics.js';
import type { Timing } from '../shared/retry.js';
import type { AdmissionVerdict, EventAdmission } from './event-admission.js';
import type { EventRefund } from './event-refund.js';
import { type PendingRecord, putAll } from './put-records.js';
import { eventsOfBody, type RawBody } from './request-body.js';
import { receiptOf, recordData, storeEvent, type WritableRecord } from './stored-record.js';

/** What a 503 tells the client to wait before resending. */
const RETRY_AFTER_SECONDS = 1;

/** The parts of an API Gateway request ingest needs. */
export interface IngestRequest extends RawBody {
  /** The key's account and scope, as the authorizer found them. */
  caller: ApiKeyRecord;
  /** The key's event limits, as the authorizer named them. */
  eventLimits: EventLimits;
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export interface Rejection {
  index: number;
  event_id?: string;
  errors: FieldError[];
}

/** The 202 body. */
export interface IngestResult {
  /** Events Kinesis acknowledged. */
  accepted: number;
  /** Events dropped because an earlier event of the same request had the same `event_id`. */
  duplicates: number;
  rejected: Rejection[];
}

/** An event Kinesis did not acknowledge, as named in the 503 body. */
export interface UnwrittenEvent {
  index: number;
  event_id: string;
  error_code: string;
  error_message?: string;
}

export interface IngestDeps {
  kinesis: KinesisClient;
  streamName: string;
  /** Whether the key may put this many more events on the stream now. */
  admit: EventAdmission;
  /** Gives back the charge of admitted events Kinesis did not acknowledge, so their resend is not charged twice. */
  refund: EventRefund;
  timestampBounds: TimestampBounds;
  now: () => Date;
  newEventId: () => string;
  timing: Timing;
  log: Log;
  /** Accepted/rejected/failed counts (EMF); the process's metrics when absent. */
  metrics?: EventMetrics;
}

interface Entry extends PendingRecord {
  index: number;
  eventId: string;
}

/**
 * Handles one POST of events. Resolves with the 202 body; throws `HttpError`s for every other answer
 * (400, 403, 413, 415, 429, 503). `deadline` (epoch ms) bounds the retries of unacknowledged records.
 */
export async function ingestEvents(
  request: IngestRequest,
  deps: IngestDeps,
  deadline: number,
): Promise<IngestResult> {
  const { accountId } = request.caller;
  const rawEvents = eventsOfBody(request);
  const receivedAt = deps.now();
  const receipt = receiptOf({
    accountId,
    receivedAt,
    clientIp: request.sourceIp,
    userAgent: request.userAgent,
    newEventId: deps.newEventId,
  });

  const rejected: Rejection[] = [];
  // The records to write and, at the same position, their events' indexes in the request.
  const stored: WritableRecord[] = [];
  const indexes: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let tooLarge = 0;
  for (let index = 0; index < rawEvents.length; index += 1) {
    const raw = rawEvents[index];
    const validation = validateIncomingEvent(raw, receivedAt, deps.timestampBounds);
    if (
      validation.ok &&
      validation.event.account_id !== undefined &&
      validation.event.account_id !== accountId
    ) {
      throw new ForbiddenError(`event ${index}: account_id does not match the API key's account`);
    }
    const record = validation.ok ? storeEvent(validation, receipt) : validation;
    if (!record.ok) {
      if (record.tooLarge) tooLarge += 1;
      rejected.push({ index, event_id: clientEventId(raw), errors: record.errors });
      continue;
    }
    if (seen.has(record.eventId)) {
      duplicates += 1;
      continue;
    }
    seen.add(record.eventId);
    stored.push(record);
    indexes.push(index);
  }
  const data = recordData(stored, receipt);
  const entries: Entry[] = new Array(stored.length);
  for (let position = 0; position < stored.length; position += 1) {
    const record = stored[position] as WritableRecord;
    entries[position] = {
      index: indexes[position] as number,
      eventId: record.eventId,
      data: data[position] as Uint8Array,
      partitionKey: record.partitionKey,
    };
  }

  const metrics = deps.metrics ?? processMetrics;
  if (entries.length === 0) {
    countAdmission(metrics, { accepted: 0, rejected });
    throw nothingToWrite(rejected, duplicates, tooLarge);
  }

  // Only what would be written counts against the key's event limit: not rejections, not duplicates.
  // Under the account too: a key stored without an id (by hand) is `unnamed` in every account.
  const bucket = `${accountId}/${request.caller.keyId ?? 'unnamed'}`;
  const admission = await deps.admit(bucket, entries.length, request.eventLimits);
  if (!admission.admitted) {
    countAdmission(metrics, { accepted: 0, rejected, throttled: entries.length });
    throw notAdmitted(admission, entries.length, request.eventLimits, { duplicates, rejected });
  }

  const { unwritten, attempts } = await putAll(entries, deps, deadline);
  const accepted = entries.length - unwritten.length;
  if (unwritten.length > 0) {
    const failed: UnwrittenEvent[] = unwritten.map((entry) => ({
      index: entry.index,
      event_id: entry.eventId,
      error_code: entry.lastErrorCode ?? 'Unknown',
      ...(entry.lastErrorMessage ? { error_message: entry.lastErrorMessage } : {}),
    }));
    deps.log.warn('events not acknowledged by Kinesis', {
      accountId,
      accepted,
      failed: failed.length,
      attempts,
      errorCodes: [...new Set(failed.map((entry) => entry.error_code))],
    });
    countAdmission(metrics, { accepted, rejected, failed: failed.length });
    if (!admission.unchecked) await deps.refund(bucket, failed.length, request.eventLimits);
    throw new ServiceUnavailableError(
      `${failed.length} event(s) could not be written; resend them with the same event_id`,
      RETRY_AFTER_SECONDS,
      { accepted, duplicates, rejected, failed },
    );
  }
  deps.log.info('events accepted', { accountId, accepted, duplicates, rejected: rejected.length });
  countAdmission(metrics, { accepted, rejected });
  return { accepted, duplicates, rejected };
}

/**
 * The answer when no event can be written: 413 when every rejection is a size limit (a single event of
 * 32 KB + 1 byte, say), 400 otherwise.
 */
function nothingToWrite(rejected: Rejection[], duplicates: number, tooLarge: number): Error {
  if (rejected.length > 0 && tooLarge === rejected.length) {
    const only = rejected.length === 1 ? rejected[0]?.errors[0]?.message : undefined;
    return new PayloadTooLargeError(only ?? 'every event is over a size limit', { rejected });
  }
  return new BadRequestError(duplicates > 0 ? 'no events to write' : 'no valid events', { rejected });
}

/**
 * The answer when the key is over its event limit: a 429 to wait out and resend, or, for more events
 * than the key's burst (a key given a burst under 500), a 413 saying how many one request may carry.
 */
function notAdmitted(
  verdict: Exclude<AdmissionVerdict, { admitted: true }>,
  events: number,
  limits: EventLimits,
  details: { duplicates: number; rejected: Rejection[] },
): Error {
  const limitText = `${limits.eventRateLimit} events per second, bursts of ${limits.eventBurstLimit}`;
  if ('overBurst' in verdict) {
    return new PayloadTooLargeError(
      `this request's ${events} valid events are more than this key's event burst (${limitText}): send at most ${limits.eventBurstLimit} events per request`,
      { ...details, event_burst_limit: limits.eventBurstLimit },
    );
  }
  return new TooManyRequestsError(
    `this key's event limit (${limitText}) is reached: resend ${events === 1 ? 'this event' : `these ${events} events`} with the same event_id after ${verdict.retryAfterSeconds} s`,
    verdict.retryAfterSeconds,
    {
      ...details,
      accepted: 0,
      event_rate_limit: limits.eventRateLimit,
      event_burst_limit: limits.eventBurstLimit,
      events_admissible_now: verdict.remaining,
    },
    {
      'X-RateLimit-Limit': String(limits.eventRateLimit),
      'X-RateLimit-Remaining': String(verdict.remaining),
      // Seconds until these events fit, as Retry-After (Tinybird's and the gateway's 429s say the same).
      'X-RateLimit-Reset': String(verdict.retryAfterSeconds),
    },
  );
}

/** The client's event_id, echoed in a rejection so it can find the event: cut and made printable. */
function clientEventId(raw: unknown): string | undefined {
  return isPlainObject(raw) && typeof raw.event_id === 'string'
    ? toWellFormed(raw.event_id.slice(0, EVENT_ID_MAX_LENGTH))
    : undefined;
}
