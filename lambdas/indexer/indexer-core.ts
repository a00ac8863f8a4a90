/**
 * Indexer: stream records -> one OpenSearch document per event (`account_id:event_id`), in the daily
 * index of its first version's timestamp. The batch runs through the stream-consumer skeleton
 * (`../shared/stream-consumer.ts`); this module is its sink.
 *
 * Applying events:
 * 1. look their keys up in the registry (`event-registry.ts`, one realtime `_mget`);
 * 2. register the unregistered ones as first versions (`create`); a later version of a registered event
 *    (another timestamp) is already indexed and is not written;
 * 3. `create` the documents with the key as `_id`, so a redelivered record is a 409, never a duplicate.
 *    Registering before writing means a crash between the two leaves a registration without a document,
 *    which the redelivery of the same record (it comes first: one key, one shard, in order) completes.
 *
 * Every item of every `_bulk` (registrations included) is classified per event (`opensearch-errors.ts`):
 * 409 is done; errors about the index or cluster, 429 and 5xx are transient; errors about the document
 * are permanent (dead-lettered by the skeleton with the reason); a request refused as a whole for what
 * it carries is bisected to find the event at fault.
 *
 * Logs carry counts, ids and bounded reasons, never documents, request bodies or client error objects
 * (`errorSummary`).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { chunkBySize } from '../shared/concurrency.js';
import { errorSummary } from '../shared/error-summary.js';
import { eventVersionKey } from '../shared/event-schema.js';
import { METRIC } from '../shared/metrics.js';
import { retainedAt } from '../shared/stream-clock.js';
import {
  type BatchEvent,
  type ConsumerDeps,
  type ConsumerOutcome,
  consumeBatch,
  type EventOutcome,
  type Sink,
} from '../shared/stream-consumer.js';
import { openSearchCrashJournal } from './crash-journal.js';
import {
  type Lookup,
  lookUpRegistrations,
  pruneRegistry,
  type RegistryRetention,
  register,
} from './event-registry.js';
import { type EventIndexRetention, pruneEventIndices } from './index-retention.js';
import { eventsIndexName } from './index-template.js';
import {
  classifyBulkItem,
  classifyRequestError,
  type ItemOutcome,
  resolveUnrecognised,
} from './opensearch-errors.js';
import type { RequestOptions, SearchApi } from './search-api.js';

export type { BulkResponseBody, BulkResponseItem, SearchApi } from './search-api.js';

export interface IndexerDeps extends ConsumerDeps {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  search: SearchApi;
  indexPrefix: string;
  /** Upper bound of one `_bulk` body; OpenSearch Service rejects bodies over 10 MiB on small instances. */
  maxBulkBytes?: number;
  /** Kept by the process across batches: when the registry was last pruned. */
  registryRetention: RegistryRetention;
  /** Kept by the process across batches: when the event indices were last pruned. */
  eventIndexRetention: EventIndexRetention;
}

const DEFAULT_MAX_BULK_BYTES = 5 * 1024 * 1024;
const MAX_BULK_ITEMS = 1000;
const MAX_REQUEST_TIMEOUT_MS = 30_000;

/** Indexes a batch of stream records. `deadline` (epoch ms) bounds the retries of transient failures. */
export async function indexRecords(
  records: KinesisStreamRecord[],
  deps: IndexerDeps,
  deadline: number,
): Promise<ConsumerOutcome> {
  // Deletions are for good: never by a clock ahead of the stream's (Kinesis stamped the arrivals), so a
  // clock stepped days or a year ahead deletes no index whose events are still served.
  const pruneAt = retainedAt(
    deps.timing.now(),
    records.map((record) => record.kinesis.approximateArrivalTimestamp * 1000),
  );
  await pruneRegistry(deps.search, deps.indexPrefix, pruneAt, deps.registryRetention, deps.log);
  await pruneEventIndices(deps.search, deps.indexPrefix, pruneAt, deps.eventIndexRetention, deps.log);
  return consumeBatch(records, indexerSink(deps), deps, deadline);
}

/** The indexer as a sink of the skeleton. */
export function indexerSink(deps: IndexerDeps): Sink {
  return {
    source: 'indexer',
    metrics: { done: METRIC.indexed, duplicate: METRIC.alreadyIndexed },
    apply: (events, deadline) => indexEvents(events, deps, deadline),
    crashJournal: openSearchCrashJournal(deps.search, deps.indexPrefix, deps.timing.now),
  };
}

/** One pass over `events`: look up, register, create. One outcome per event, in order. */
async function indexEvents(
  events: BatchEvent[],
  deps: IndexerDeps,
  deadline: number,
): Promise<EventOutcome[]> {
  const options = (): RequestOptions => ({
    requestTimeout: Math.max(1, Math.min(MAX_REQUEST_TIMEOUT_MS, deadline - deps.timing.now())),
    maxRetries: 0,
  });
  const outcomes = new Map<BatchEvent, EventOutcome>();
  const settle = (event: BatchEvent, outcome: EventOutcome) => outcomes.set(event, outcome);

  // The first delivery of each version in the batch is looked up; should it fail, Lambda redelivers
  // everything after it. Not only the event's first: the redrive of a first version whose document
  // was dead-lettered may come behind a later version, and it is the one the registry lets write.
  const firsts: BatchEvent[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    const version = eventVersionKey(event.event);
    if (seen.has(version)) settle(event, { kind: 'duplicate' });
    else {
      seen.add(version);
      firsts.push(event);
    }
  }

  let lookups: Lookup[] = [];
  try {
    lookups = await lookUpRegistrations(deps.search, deps.indexPrefix, registryItems(firsts), options());
  } catch (error) {
    return failedAsWhole('registry lookup', events, outcomes, error, deps);
  }
  const toRegister: BatchEvent[] = [];
  const toCreate: BatchEvent[] = [];
  // What later versions of a key the batch registers (or waits for) first come to.
  const behindFirst = new Map<string, EventOutcome>();
  firsts.forEach((event, position) => {
    const lookup: Lookup = lookups[position] ?? { kind: 'unknown', reason: 'no lookup result' };
    const earlier = behindFirst.get(event.key);
    if (lookup.kind === 'registered') {
      // Registered with this timestamp: this version is the first; create (again) in case a crash came between.
      if (Date.parse(lookup.timestamp) === Date.parse(event.event.timestamp)) toCreate.push(event);
      else settle(event, { kind: 'duplicate' });
    } else if (earlier) settle(event, earlier);
    else if (lookup.kind === 'unregistered') {
      toRegister.push(event);
      behindFirst.set(event.key, { kind: 'duplicate' });
    } else {
      const outcome: EventOutcome = { kind: 'transient', reason: lookup.reason };
      settle(event, outcome);
      behindFirst.set(event.key, outcome);
    }
  });

  if (toRegister.length > 0) {
    try {
      const registered = servedRule(
        await register(deps.search, deps.indexPrefix, registryItems(toRegister), options()),
      );
      toRegister.forEach((event, position) => {
        const outcome = registered[position] as ItemOutcome;
        // Registered by another delivery meanwhile: the next attempt reads which version won.
        if (outcome.kind === 'exists')
          settle(event, { kind: 'transient', reason: 'registered concurrently' });
        else if (outcome.kind === 'created') toCreate.push(event);
        else settle(event, outcome as EventOutcome);
      });
    } catch (error) {
      const outcome = classifyRequestError(error, 'registration');
      logRequestFailure('registration', toRegister.length, error, deps);
      for (const event of toRegister) settle(event, outcome);
    }
  }

  const chunks = chunkBySize(
    toCreate.map((event) => documentOf(event, deps.indexPrefix)),
    MAX_BULK_ITEMS,
    deps.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES,
    (document) => document.bytes,
  );
  for (const chunk of chunks) {
    try {
      const { body } = await deps.search.bulk(
        { body: chunk.flatMap((document) => [document.action, document.source]) },
        options(),
      );
      const created = servedRule(
        chunk.map((_, position) => classifyBulkItem(body.items?.[position]?.create)),
      );
      chunk.forEach((document, position) => {
        const outcome = created[position] as ItemOutcome;
        if (outcome.kind === 'created') settle(document.event, { kind: 'done' });
        else if (outcome.kind === 'exists') settle(document.event, { kind: 'duplicate' });
        else settle(document.event, outcome as EventOutcome);
      });
    } catch (error) {
      const outcome = classifyRequestError(error, 'bulk request');
      logRequestFailure('bulk request', chunk.length, error, deps);
      for (const document of chunk) settle(document.event, outcome);
    }
  }
  return events.map(
    (event) => outcomes.get(event) ?? { kind: 'transient', reason: 'the indexer did not settle the event' },
  );
}

/** Unrecognised item errors of one request are the events' own when another item of it succeeded. */
function servedRule(items: ItemOutcome[]): ItemOutcome[] {
  const served = items.some((item) => item.kind === 'created' || item.kind === 'exists');
  return items.map((item) => resolveUnrecognised(item, served));
}

/** The events not settled yet all share the fate of a request that failed as a whole. */
function failedAsWhole(
  step: string,
  events: BatchEvent[],
  outcomes: Map<BatchEvent, EventOutcome>,
  error: unknown,
  deps: IndexerDeps,
): EventOutcome[] {
  logRequestFailure(step, events.length, error, deps);
  const outcome = classifyRequestError(error, step);
  return events.map((event) => outcomes.get(event) ?? outcome);
}

function logRequestFailure(step: string, events: number, error: unknown, deps: IndexerDeps): void {
  deps.log.warn(`${step} failed`, { events, error: errorSummary(error) });
}

function registryItems(events: BatchEvent[]) {
  return events.map((event) => ({ key: event.key, event: event.event }));
}

interface Document {
  event: BatchEvent;
  action: Record<string, unknown>;
  source: Record<string, unknown>;
  bytes: number;
}

/** The `create` of an event's document in the daily index of its timestamp (its first version's). */
function documentOf(event: BatchEvent, prefix: string): Document {
  const action = { create: { _index: eventsIndexName(prefix, event.event.timestamp), _id: event.key } };
  const source = event.event as unknown as Record<string, unknown>;
  // Safe to serialize: decoding checked the event's depth before anything else touched it.
  const bytes = Buffer.byteLength(JSON.stringify(action)) + Buffer.byteLength(JSON.stringify(source)) + 2;
  return { event, action, source, bytes };
}
