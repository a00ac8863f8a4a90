/**
 * Writing a request's records to the stream: PutRecords is not all-or-nothing. Entries that come back
 * with an `ErrorCode` (or without a sequence number) are retried alone, with jittered backoff, inside
 * the request's time budget (`retryPending`); what still fails is returned with its last error, never
 * acknowledged.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { chunkBySize } from '../shared/concurrency.js';
import { errorSummary } from '../shared/error-summary.js';
import type { Log } from '../shared/logger.js';
import { retryPending, type Timing } from '../shared/retry.js';

/** PutRecords limits: 500 records and 5 MiB per request. */
const PUT_RECORDS_MAX_ENTRIES = 500;
const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;

/** One record to write, and the last error Kinesis gave for it. */
export interface PendingRecord {
  data: Uint8Array;
  partitionKey: string;
  lastErrorCode?: string;
  lastErrorMessage?: string;
}

export interface StreamWriter {
  kinesis: KinesisClient;
  streamName: string;
  timing: Timing;
  log: Log;
}

/** Writes `records`, retrying failed entries until `deadline`; resolves with those still unwritten. */
export async function putAll<T extends PendingRecord>(
  records: T[],
  writer: StreamWriter,
  deadline: number,
): Promise<{ unwritten: T[]; attempts: number }> {
  const { remaining, attempts } = await retryPending(
    records,
    (pending) => putOnce(pending, writer, deadline),
    {
      deadline,
      timing: writer.timing,
    },
  );
  return { unwritten: remaining, attempts };
}

/** One attempt over the pending records (chunked to the API's limits); returns those not acknowledged. */
async function putOnce<T extends PendingRecord>(
  pending: T[],
  writer: StreamWriter,
  deadline: number,
): Promise<T[]> {
  const failed: T[] = [];
  const chunks = chunkBySize(
    pending,
    PUT_RECORDS_MAX_ENTRIES,
    PUT_RECORDS_MAX_BYTES,
    (record) => record.data.byteLength + Buffer.byteLength(record.partitionKey),
  );
  for (const chunk of chunks) {
    try {
      const response = await writer.kinesis.send(
        new PutRecordsCommand({
          StreamName: writer.streamName,
          Records: chunk.map((record) => ({ Data: record.data, PartitionKey: record.partitionKey })),
        }),
        // Never wait past the budget: an answer after API Gateway gave up helps nobody.
        { abortSignal: AbortSignal.timeout(Math.max(1, deadline - writer.timing.now())) },
      );
      const results = response.Records ?? [];
      chunk.forEach((record, position) => {
        const result = results[position];
        // A missing result entry is not an acknowledgement.
        if (!result || result.ErrorCode || !result.SequenceNumber) {
          record.lastErrorCode = result?.ErrorCode ?? 'MissingResult';
          record.lastErrorMessage = result?.ErrorMessage;
          failed.push(record);
        }
      });
    } catch (error) {
      // The SDK already retried what its strategy considers retryable; the whole chunk is unacknowledged.
      const { name, message } = errorSummary(error);
      writer.log.warn('PutRecords request failed', { error: errorSummary(error), records: chunk.length });
      for (const record of chunk) {
        record.lastErrorCode = name || 'RequestFailed';
        record.lastErrorMessage = message;
        failed.push(record);
      }
    }
  }
  return failed;
}
