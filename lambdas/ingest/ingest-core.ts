/**
 * Ingest: authenticate, validate, enrich, and put events on the stream, answering 2xx only for events
 * Kinesis acknowledged. PutRecords is not all-or-nothing: entries that come back with an `ErrorCode`
 * are retried alone, with jittered backoff, inside the request's time budget; what still fails is
 * named in a 503 so the client can resend exactly those (with the same `event_id`, which every sink
 * deduplicates on).
 */
import { createHash } from 'node:crypto';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type ApiKeyLookup, authorize } from '../shared/api-keys.js';
import { chunkBySize } from '../shared/concurrency.js';
import { errorSummary } from '../shared/error-summary.js';
import {
  admitStoredEvent,
  EVENT_ID_MAX_LENGTH,
  enrichEvent,
  eventKey,
  type FieldError,
  type StoredEvent,
  type TimestampBounds,
  validateIncomingEvent,
} from '../shared/event-schema.js';
import { isPlainObject, toWellFormed } from '../shared/event-storability.js';
import {
  BadRequestError,
  ForbiddenError,
  headerValue,
  PayloadTooLargeError,
  ServiceUnavailableError,
} from '../shared/http.js';
import type { Log } from '../shared/logger.js';
import { countAdmission, type EventMetrics, metrics as processMetrics } from '../shared/metrics.js';
import { retryPending, type Timing } from '../shared/retry.js';
import { eventsOfBody } from './request-body.js';

/** PutRecords limits: 500 records and 5 MiB per request. */
const PUT_RECORDS_MAX_ENTRIES = 500;
const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
/** Kinesis partition keys are at most 256 characters. */
const PARTITION_KEY_MAX_LENGTH = 256;
/** What a 503 tells the client to wait before resending. */
const RETRY_AFTER_SECONDS = 1;

/** The parts of an API Gateway request ingest needs. */
export interface IngestRequest {
  headers: Record<string, string | undefined> | null;
  body: string | null;
  isBase64Encoded: boolean;
  sourceIp?: string;
  userAgent?: string;
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
  lookupApiKey: ApiKeyLookup;
  timestampBounds: TimestampBounds;
  now: () => Date;
  newEventId: () => string;
  timing: Timing;
  log: Log;
  /** Accepted/rejected/failed counts (EMF); the process's metrics when absent. */
  metrics?: EventMetrics;
}

interface Entry {
  index: number;
  event: StoredEvent;
  data: Uint8Array;
  partitionKey: string;
  lastErrorCode?: string;
  lastErrorMessage?: string;
}

/**
 * Handles one POST of events. Resolves with the 202 body; throws `HttpError`s for every other answer
 * (400, 401, 403, 413, 503). `deadline` (epoch ms) bounds the retries of unacknowledged records.
 */
export async function ingestEvents(
  request: IngestRequest,
  deps: IngestDeps,
  deadline: number,
): Promise<IngestResult> {
  const key = await authorize(deps.lookupApiKey, headerValue(request.headers, 'x-api-key'), 'write');
  const rawEvents = eventsOfBody(request);
  const receivedAt = deps.now();

  const rejected: Rejection[] = [];
  const entries: Entry[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let tooLarge = 0;
  for (const [index, raw] of rawEvents.entries()) {
    const reject = (errors: FieldError[], bySize?: true) => {
      if (bySize) tooLarge += 1;
      rejected.push({ index, event_id: clientEventId(raw), errors });
    };
    const validation = validateIncomingEvent(raw, receivedAt, deps.timestampBounds);
    if (!validation.ok) {
      reject(validation.errors, validation.tooLarge);
      continue;
    }
    if (validation.event.account_id !== undefined && validation.event.account_id !== key.accountId) {
      throw new ForbiddenError(`event ${index}: account_id does not match the API key's account`);
    }
    const event = enrichEvent(validation.event, {
      accountId: key.accountId,
      receivedAt,
      clientIp: request.sourceIp,
      userAgent: request.userAgent,
      newEventId: deps.newEventId,
    });
    const admission = admitStoredEvent(event);
    if (!admission.ok) {
      reject(admission.errors, admission.tooLarge);
      continue;
    }
    if (seen.has(event.event_id)) {
      duplicates += 1;
      continue;
    }
    seen.add(event.event_id);
    entries.push({
      index,
      event,
      data: Buffer.from(admission.json, 'utf8'),
      partitionKey: partitionKeyFor(event),
    });
  }

  const metrics = deps.metrics ?? processMetrics;
  if (entries.length === 0) {
    countAdmission(metrics, { accepted: 0, rejected });
    throw nothingToWrite(rejected, duplicates, tooLarge);
  }

  const { remaining, attempts } = await retryPending(
    entries,
    (pending) => putRecords(pending, deps, deadline),
    {
      deadline,
      timing: deps.timing,
    },
  );
  const accepted = entries.length - remaining.length;
  if (remaining.length > 0) {
    const failed: UnwrittenEvent[] = remaining.map((entry) => ({
      index: entry.index,
      event_id: entry.event.event_id,
      error_code: entry.lastErrorCode ?? 'Unknown',
      ...(entry.lastErrorMessage ? { error_message: entry.lastErrorMessage } : {}),
    }));
    deps.log.warn('events not acknowledged by Kinesis', {
      accountId: key.accountId,
      accepted,
      failed: failed.length,
      attempts,
      errorCodes: [...new Set(failed.map((entry) => entry.error_code))],
    });
    countAdmission(metrics, { accepted, rejected, failed: failed.length });
    throw new ServiceUnavailableError(
      `${failed.length} event(s) could not be written; resend them with the same event_id`,
      RETRY_AFTER_SECONDS,
      { accepted, duplicates, rejected, failed },
    );
  }
  deps.log.info('events accepted', {
    accountId: key.accountId,
    accepted,
    duplicates,
    rejected: rejected.length,
  });
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

/** The client's event_id, echoed in a rejection so it can find the event: cut and made printable. */
function clientEventId(raw: unknown): string | undefined {
  return isPlainObject(raw) && typeof raw.event_id === 'string'
    ? toWellFormed(raw.event_id.slice(0, EVENT_ID_MAX_LENGTH))
    : undefined;
}

/**
 * `${account_id}:${event_id}`: spreads an account's events over shards (no hot shard for a busy
 * account) and keeps a resent event on the same shard. Hashed when it would exceed Kinesis's limit.
 */
export function partitionKeyFor(event: StoredEvent): string {
  const key = eventKey(event);
  return key.length <= PARTITION_KEY_MAX_LENGTH ? key : createHash('sha256').update(key).digest('hex');
}

/**
 * One attempt: PutRecords over the pending entries (chunked to the API's limits). Returns the entries
 * Kinesis did not acknowledge, each with its last error.
 */
async function putRecords(pending: Entry[], deps: IngestDeps, deadline: number): Promise<Entry[]> {
  const failed: Entry[] = [];
  const chunks = chunkBySize(
    pending,
    PUT_RECORDS_MAX_ENTRIES,
    PUT_RECORDS_MAX_BYTES,
    (entry) => entry.data.byteLength + Buffer.byteLength(entry.partitionKey),
  );
  for (const chunk of chunks) {
    try {
      const response = await deps.kinesis.send(
        new PutRecordsCommand({
          StreamName: deps.streamName,
          Records: chunk.map((entry) => ({ Data: entry.data, PartitionKey: entry.partitionKey })),
        }),
        // Never wait past the budget: an answer after API Gateway gave up helps nobody.
        { abortSignal: AbortSignal.timeout(Math.max(1, deadline - deps.timing.now())) },
      );
      const results = response.Records ?? [];
      chunk.forEach((entry, position) => {
        const result = results[position];
        // A missing result entry is not an acknowledgement.
        if (!result || result.ErrorCode || !result.SequenceNumber) {
          entry.lastErrorCode = result?.ErrorCode ?? 'MissingResult';
          entry.lastErrorMessage = result?.ErrorMessage;
          failed.push(entry);
        }
      });
    } catch (error) {
      // The SDK already retried what its strategy considers retryable; the whole chunk is unacknowledged.
      deps.log.warn('PutRecords request failed', { error: errorSummary(error), records: chunk.length });
      for (const entry of chunk) {
        const { name, message } = errorSummary(error);
        entry.lastErrorCode = name || 'RequestFailed';
        entry.lastErrorMessage = message;
        failed.push(entry);
      }
    }
  }
  return failed;
}
