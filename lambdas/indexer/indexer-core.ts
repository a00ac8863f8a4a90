/**
 * Indexer: stream records -> one OpenSearch document per event (`account_id:event_id`), in the daily
 * index of its first version's timestamp.
 *
 * Per attempt, for the events still pending:
 * 1. look their keys up in the registry (`event-registry.ts`, one realtime `_mget`);
 * 2. register the unregistered ones as first versions (`create`); a later version of a registered event
 *    (another timestamp) is already indexed and is not written;
 * 3. `create` the documents with the key as `_id`, so a redelivered record is a 409, never a duplicate.
 *    Registering before writing means a crash between the two leaves a registration without a document,
 *    which the redelivery of the same record (it comes first: one key, one shard, in order) completes.
 *
 * `_bulk` answers 200 even when items failed, so every item is walked (`createOutcome`): 409 is success;
 * 429 and 5xx are retried alone with backoff inside the invocation, then reported as batch item
 * failures; any other error is permanent and the event goes to the dead-letter queue with its reason.
 * If the dead-letter send fails, the record is reported as a batch item failure, never dropped.
 *
 * Logs carry counts, ids and bounded reasons, never documents, request bodies or client error objects
 * (`errorSummary`).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { chunkBySize } from '../shared/concurrency.js';
import { type DeadLetter, sendDeadLetters, undecodableLetter } from '../shared/dead-letter.js';
import { boundedText, errorSummary } from '../shared/error-summary.js';
import { eventKey, type StoredEvent } from '../shared/event-schema.js';
import { batchResponse, decodeRecord, type KinesisStreamBatchResponse } from '../shared/kinesis-records.js';
import type { Log } from '../shared/logger.js';
import { retryPending, type Timing } from '../shared/retry.js';
import {
  type Lookup,
  lookUpRegistrations,
  pruneRegistry,
  type RegistryRetention,
  register,
} from './event-registry.js';
import { eventsIndexName } from './index-template.js';
import { type CreateOutcome, createOutcome, type RequestOptions, type SearchApi } from './search-api.js';

export type { BulkResponseBody, BulkResponseItem, SearchApi } from './search-api.js';

export interface IndexerDeps {
  search: SearchApi;
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  indexPrefix: string;
  timing: Timing;
  log: Log;
  /** Upper bound of one `_bulk` body; OpenSearch Service rejects bodies over 10 MiB on small instances. */
  maxBulkBytes?: number;
  /** Kept by the process across batches: when the registry was last pruned. */
  registryRetention: RegistryRetention;
}

export interface IndexerCounts {
  indexed: number;
  /** Already a document: a redelivery, a client's resend, or a later version of an indexed event. */
  alreadyIndexed: number;
  deadLettered: number;
  failed: number;
}

export interface IndexerOutcome {
  response: KinesisStreamBatchResponse;
  counts: IndexerCounts;
}

interface Item {
  sequenceNumber: string;
  key: string;
  event: StoredEvent;
  lastError?: string;
}

const DEFAULT_MAX_BULK_BYTES = 5 * 1024 * 1024;
const MAX_BULK_ITEMS = 1000;
const MAX_REQUEST_TIMEOUT_MS = 30_000;
/** Distinct reasons named in one log line. */
const MAX_LOGGED_REASONS = 5;

/** Indexes a batch of stream records. `deadline` (epoch ms) bounds the retries of transient failures. */
export async function indexRecords(
  records: KinesisStreamRecord[],
  deps: IndexerDeps,
  deadline: number,
): Promise<IndexerOutcome> {
  await pruneRegistry(deps.search, deps.indexPrefix, deps.timing.now(), deps.registryRetention, deps.log);
  const counts: IndexerCounts = { indexed: 0, alreadyIndexed: 0, deadLettered: 0, failed: 0 };
  const letters: DeadLetter[] = [];
  const failedAt = () => new Date(deps.timing.now()).toISOString();
  const items: Item[] = [];
  const seen = new Set<string>();

  for (const record of records) {
    const decoded = decodeRecord(record);
    if (!decoded.ok) {
      letters.push(undecodableLetter('indexer', decoded, failedAt()));
      continue;
    }
    const key = eventKey(decoded.event);
    // The first delivery in the batch wins; should it fail, Lambda redelivers everything after it.
    if (seen.has(key)) {
      counts.alreadyIndexed += 1;
      continue;
    }
    seen.add(key);
    items.push({ sequenceNumber: decoded.sequenceNumber, key, event: decoded.event });
  }

  const permanent: Item[] = [];
  const { remaining, attempts } = await retryPending(
    items,
    (pending) => indexAttempt(pending, { deps, deadline, counts, permanent }),
    { deadline, timing: deps.timing },
  );

  for (const item of permanent) {
    letters.push({
      source: 'indexer',
      reason: item.lastError ?? 'rejected by OpenSearch',
      sequenceNumber: item.sequenceNumber,
      failedAt: failedAt(),
      event: item.event,
    });
  }
  const notDeadLettered = await sendDeadLetters(deps.sqs, deps.deadLetterQueueUrl, letters, deps.log);
  counts.deadLettered = letters.length - notDeadLettered.length;

  const failures = [...remaining.map((item) => item.sequenceNumber), ...notDeadLettered];
  counts.failed = failures.length;
  if (letters.length > 0) {
    deps.log.warn('events dead-lettered', {
      deadLettered: counts.deadLettered,
      reasons: loggableReasons(letters.map((letter) => letter.reason)),
    });
  }
  if (remaining.length > 0) {
    deps.log.warn('events not indexed, reported for redelivery', {
      failed: remaining.length,
      attempts,
      lastErrors: loggableReasons(remaining.map((item) => item.lastError)),
    });
  }
  deps.log.info('batch indexed', { records: records.length, ...counts });
  return { response: batchResponse(failures), counts };
}

interface AttemptContext {
  deps: IndexerDeps;
  deadline: number;
  counts: IndexerCounts;
  permanent: Item[];
}

/** One pass over the pending items: look up, register, create. Returns the items to try again. */
async function indexAttempt(pending: Item[], context: AttemptContext): Promise<Item[]> {
  const { deps, counts } = context;
  const transient: Item[] = [];
  const settle = (item: Item, outcome: CreateOutcome): boolean => {
    if (outcome.kind === 'transient' || outcome.kind === 'permanent') {
      item.lastError = outcome.reason;
      (outcome.kind === 'transient' ? transient : context.permanent).push(item);
      return false;
    }
    return true;
  };

  let lookups: Lookup[];
  try {
    lookups = await lookUpRegistrations(deps.search, deps.indexPrefix, pending, requestOptions(context));
  } catch (error) {
    return requestFailed('registry lookup', pending, error, deps.log);
  }
  const toRegister: Item[] = [];
  const toCreate: Item[] = [];
  pending.forEach((item, position) => {
    const lookup: Lookup = lookups[position] ?? { kind: 'unknown', reason: 'no lookup result' };
    if (lookup.kind === 'unregistered') toRegister.push(item);
    else if (lookup.kind === 'unknown') settle(item, { kind: 'transient', reason: lookup.reason });
    // Registered with this timestamp: this version is the first; create (again) in case a crash came between.
    else if (Date.parse(lookup.timestamp) === Date.parse(item.event.timestamp)) toCreate.push(item);
    else counts.alreadyIndexed += 1;
  });

  if (toRegister.length > 0) {
    try {
      const outcomes = await register(deps.search, deps.indexPrefix, toRegister, requestOptions(context));
      toRegister.forEach((item, position) => {
        const outcome = outcomes[position] as CreateOutcome;
        // Registered by another delivery meanwhile: the next attempt reads which version won.
        if (outcome.kind === 'exists') settle(item, { kind: 'transient', reason: 'registered concurrently' });
        else if (settle(item, outcome)) toCreate.push(item);
      });
    } catch (error) {
      transient.push(...requestFailed('registration', toRegister, error, deps.log));
    }
  }

  const chunks = chunkBySize(
    toCreate.map((item) => documentOf(item, deps.indexPrefix)),
    MAX_BULK_ITEMS,
    deps.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES,
    (document) => document.bytes,
  );
  for (const chunk of chunks) {
    let outcomes: CreateOutcome[];
    try {
      const { body } = await deps.search.bulk(
        { body: chunk.flatMap((document) => [document.action, document.source]) },
        requestOptions(context),
      );
      outcomes = chunk.map((_, position) => createOutcome(body.items?.[position]?.create));
    } catch (error) {
      transient.push(
        ...requestFailed(
          'bulk request',
          chunk.map((document) => document.item),
          error,
          deps.log,
        ),
      );
      continue;
    }
    chunk.forEach((document, position) => {
      const outcome = outcomes[position] as CreateOutcome;
      if (!settle(document.item, outcome)) return;
      if (outcome.kind === 'created') counts.indexed += 1;
      else counts.alreadyIndexed += 1;
    });
  }
  return transient;
}

interface Document {
  item: Item;
  action: Record<string, unknown>;
  source: Record<string, unknown>;
  bytes: number;
}

/** The `create` of an item's document in the daily index of its timestamp (its first version's). */
function documentOf(item: Item, prefix: string): Document {
  const action = { create: { _index: eventsIndexName(prefix, item.event.timestamp), _id: item.key } };
  const source = item.event as unknown as Record<string, unknown>;
  // Safe to serialize: decoding checked the event's depth before anything else touched it.
  const bytes = Buffer.byteLength(JSON.stringify(action)) + Buffer.byteLength(JSON.stringify(source)) + 2;
  return { item, action, source, bytes };
}

/** A request that failed as a whole: nothing of it is known to be written; all of it is retried. */
function requestFailed(step: string, items: Item[], error: unknown, log: Log): Item[] {
  const summary = errorSummary(error);
  log.warn(`${step} failed`, { items: items.length, error: summary });
  for (const item of items) item.lastError = `${step} failed: ${summary.name}: ${summary.message}`;
  return items;
}

function requestOptions({ deps, deadline }: AttemptContext): RequestOptions {
  return {
    requestTimeout: Math.max(1, Math.min(MAX_REQUEST_TIMEOUT_MS, deadline - deps.timing.now())),
    maxRetries: 0,
  };
}

function loggableReasons(reasons: (string | undefined)[]): string[] {
  return [...new Set(reasons.map((reason) => boundedText(reason ?? 'unknown')))].slice(0, MAX_LOGGED_REASONS);
}
