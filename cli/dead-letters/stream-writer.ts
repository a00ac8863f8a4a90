/**
 * Puts redriven records back on the stream. PutRecords is not all-or-nothing: every entry's result is
 * read, and only the entries with an `ErrorCode` are sent again, with the shared backoff, until a time
 * budget passes in which Kinesis acknowledged none. A copy counts as redriven only once Kinesis gave it a sequence number. An error no
 * retry can cure (the stream deleted, access denied, a request refused as invalid) fails its copies at
 * once, naming it, instead of being retried until the budget runs out.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { chunkBySize } from '../../lambdas/shared/concurrency.js';
import { errorSummary } from '../../lambdas/shared/error-summary.js';
import { realTiming, retryPending } from '../../lambdas/shared/retry.js';
import type { Progress } from '../output.js';

/** PutRecords limits: 500 records and 5 MiB per request (data and partition keys). */
const MAX_RECORDS = 500;
const MAX_REQUEST_BYTES = 5 * 1024 * 1024;

export interface Copy {
  /** The caller's id of the copy (an event key or a record id). */
  id: string;
  data: Buffer;
  partitionKey: string;
}

export interface PutOutcome {
  /** Sequence number of each acknowledged copy, by id. */
  acknowledged: Map<string, string>;
  /** Why each copy was not acknowledged, by id. */
  failed: Map<string, string>;
}

/** Errors of a whole PutRecords that the same request would meet again. */
const FINAL_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'ValidationException',
  'InvalidArgumentException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);

interface Pending {
  copy: Copy;
  lastError?: string;
}

/** Puts `copies` on `streamName`; resolves with what Kinesis acknowledged and what it did not. */
export async function putCopies(
  kinesis: KinesisClient,
  streamName: string,
  copies: Copy[],
  options: { budgetMs: number; progress?: Progress },
): Promise<PutOutcome> {
  const acknowledged = new Map<string, string>();
  const given: Pending[] = [];
  // The budget counts from the last copy Kinesis took: a redrive bigger than the stream takes in one
  // budget (thousands of letters on one shard, throttled) goes on while it progresses, and stops only
  // after a whole budget in which nothing was acknowledged.
  let progressedAt = Date.now();
  const attempt = async (pending: Pending[]): Promise<Pending[]> => {
    const again: Pending[] = [];
    const chunks = chunkBySize(
      pending,
      MAX_RECORDS,
      MAX_REQUEST_BYTES,
      ({ copy }) => copy.data.byteLength + Buffer.byteLength(copy.partitionKey),
    );
    for (const chunk of chunks) {
      try {
        const { Records = [] } = await kinesis.send(
          new PutRecordsCommand({
            StreamName: streamName,
            Records: chunk.map(({ copy }) => ({ Data: copy.data, PartitionKey: copy.partitionKey })),
          }),
        );
        chunk.forEach((entry, position) => {
          const result = Records[position];
          if (result?.SequenceNumber && !result.ErrorCode) {
            acknowledged.set(entry.copy.id, result.SequenceNumber);
            progressedAt = Date.now();
          } else {
            entry.lastError = `${result?.ErrorCode ?? 'MissingResult'}: ${result?.ErrorMessage ?? 'no result'}`;
            again.push(entry);
          }
        });
      } catch (error) {
        const { name, message } = errorSummary(error);
        for (const entry of chunk) {
          entry.lastError = `${name}: ${message}`;
          (FINAL_ERRORS.has(name) ? given : again).push(entry);
        }
      }
      options.progress?.update(
        acknowledged.size,
        copies.length,
        again.length ? `${again.length} to retry` : undefined,
      );
    }
    return again;
  };
  const { remaining } = await retryPending<Pending>(
    copies.map((copy) => ({ copy })),
    attempt,
    { deadline: () => progressedAt + options.budgetMs, timing: realTiming },
  );
  options.progress?.finish(`${acknowledged.size} of ${copies.length} record(s) acknowledged by Kinesis`);
  return {
    acknowledged,
    failed: new Map(
      [...given, ...remaining].map((entry) => [entry.copy.id, entry.lastError ?? 'not acknowledged']),
    ),
  };
}
