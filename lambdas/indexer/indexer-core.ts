/**
 * Indexer: stream records -> OpenSearch `_bulk` `create` with a deterministic `_id`, so a redelivered
 * record is a 409 (already indexed), never a duplicate document.
 *
 * `_bulk` answers 200 even when items failed (`errors: true`), so every item is walked:
 * - 200/201: indexed; 409: already indexed by an earlier delivery, success.
 * - 429 and 5xx: transient; retried alone with backoff inside the invocation, then reported as batch
 *   item failures so Lambda redelivers them.
 * - any other 4xx (mapping errors): permanent; retrying would block the shard, so the event goes to
 *   the dead-letter queue with its reason. If the dead-letter send fails, the record is reported as
 *   a batch item failure instead, so it is never dropped.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { chunkBySize } from '../shared/concurrency.js';
import { type DeadLetter, sendDeadLetters, undecodableLetter } from '../shared/dead-letter.js';
import { eventKey, type StoredEvent } from '../shared/event-schema.js';
import { batchResponse, decodeRecord, type KinesisStreamBatchResponse } from '../shared/kinesis-records.js';
import type { Log } from '../shared/logger.js';
import { retryPending, type Timing } from '../shared/retry.js';
import { eventsIndexName } from './index-template.js';

/** One item of a `_bulk` response (the part the indexer reads). */
export interface BulkResponseItem {
  status: number;
  error?: { type?: string; reason?: string | null } | null;
}

export interface BulkResponseBody {
  errors: boolean;
  items: Array<Partial<Record<'create' | 'index' | 'update' | 'delete', BulkResponseItem>>>;
}

/** The slice of the OpenSearch client the indexer uses; the real client satisfies it. */
export interface BulkApi {
  bulk(
    params: { body: Record<string, unknown>[] },
    options?: { requestTimeout?: number; maxRetries?: number },
  ): Promise<{ body: BulkResponseBody }>;
}

export interface IndexerDeps {
  search: BulkApi;
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  indexPrefix: string;
  timing: Timing;
  log: Log;
  /** Upper bound of one `_bulk` body; OpenSearch Service rejects bodies over 10 MiB on small instances. */
  maxBulkBytes?: number;
}

export interface IndexerCounts {
  indexed: number;
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
  event: StoredEvent;
  action: Record<string, unknown>;
  bytes: number;
  lastError?: string;
}

const DEFAULT_MAX_BULK_BYTES = 5 * 1024 * 1024;
const MAX_BULK_ITEMS = 1000;
const MAX_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Indexes a batch of stream records. `deadline` (epoch ms) bounds the retries of transient failures.
 */
export async function indexRecords(
  records: KinesisStreamRecord[],
  deps: IndexerDeps,
  deadline: number,
): Promise<IndexerOutcome> {
  const counts: IndexerCounts = { indexed: 0, alreadyIndexed: 0, deadLettered: 0, failed: 0 };
  const letters: DeadLetter[] = [];
  const failedAt = () => new Date(deps.timing.now()).toISOString();
  const items: Item[] = [];

  for (const record of records) {
    const decoded = decodeRecord(record);
    if (!decoded.ok) {
      letters.push(undecodableLetter('indexer', decoded, failedAt()));
      continue;
    }
    const action = {
      create: {
        _index: eventsIndexName(deps.indexPrefix, decoded.event.timestamp),
        _id: eventKey(decoded.event),
      },
    };
    items.push({
      sequenceNumber: decoded.sequenceNumber,
      event: decoded.event,
      action,
      bytes: Buffer.byteLength(JSON.stringify(action)) + Buffer.byteLength(JSON.stringify(decoded.event)) + 2,
    });
  }

  const permanent: Item[] = [];
  const { remaining, attempts } = await retryPending(
    items,
    async (pending) => {
      const transient: Item[] = [];
      const chunks = chunkBySize(
        pending,
        MAX_BULK_ITEMS,
        deps.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES,
        (item) => item.bytes,
      );
      for (const chunk of chunks) {
        const outcome = await bulkCreate(chunk, deps, deadline);
        counts.indexed += outcome.indexed;
        counts.alreadyIndexed += outcome.alreadyIndexed;
        transient.push(...outcome.transient);
        permanent.push(...outcome.permanent);
      }
      return transient;
    },
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
      reasons: [...new Set(letters.map((letter) => letter.reason))].slice(0, 10),
    });
  }
  if (remaining.length > 0) {
    deps.log.warn('events not indexed, reported for redelivery', {
      failed: remaining.length,
      attempts,
      lastErrors: [...new Set(remaining.map((item) => item.lastError))].slice(0, 10),
    });
  }
  deps.log.info('batch indexed', { records: records.length, ...counts });
  return { response: batchResponse(failures), counts };
}

interface ChunkOutcome {
  indexed: number;
  alreadyIndexed: number;
  transient: Item[];
  permanent: Item[];
}

/** One `_bulk` request; classifies every item of its response. */
async function bulkCreate(chunk: Item[], deps: IndexerDeps, deadline: number): Promise<ChunkOutcome> {
  const outcome: ChunkOutcome = { indexed: 0, alreadyIndexed: 0, transient: [], permanent: [] };
  let body: BulkResponseBody;
  try {
    const response = await deps.search.bulk(
      { body: chunk.flatMap((item) => [item.action, item.event as Record<string, unknown>]) },
      {
        requestTimeout: Math.max(1, Math.min(MAX_REQUEST_TIMEOUT_MS, deadline - deps.timing.now())),
        maxRetries: 0,
      },
    );
    body = response.body;
  } catch (error) {
    // Unreachable, timed out, or rejected as a whole: nothing of this chunk is known to be indexed.
    const message = `bulk request failed: ${(error as Error).message}`;
    deps.log.warn('bulk request failed', { error, items: chunk.length });
    for (const item of chunk) item.lastError = message;
    outcome.transient.push(...chunk);
    return outcome;
  }

  chunk.forEach((item, position) => {
    const result = body.items?.[position]?.create;
    if (!result) {
      item.lastError = 'no result for this item in the bulk response';
      outcome.transient.push(item);
      return;
    }
    const { status } = result;
    if (status === 200 || status === 201) {
      outcome.indexed += 1;
    } else if (status === 409) {
      outcome.alreadyIndexed += 1;
    } else {
      item.lastError = `${status} ${result.error?.type ?? 'error'}: ${result.error?.reason ?? 'no reason given'}`;
      if (status === 429 || status >= 500) outcome.transient.push(item);
      else outcome.permanent.push(item);
    }
  });
  return outcome;
}
