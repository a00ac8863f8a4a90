/**
 * A local Kinesis event source mapping: polls every shard of a stream, batches records as Lambda does
 * (BatchSize, MaximumBatchingWindowInSeconds), invokes the function with a `KinesisStreamEvent`, one
 * batch in flight per shard, and carries out the decisions of `batch-decision.ts` (partial batch
 * failures, bisecting, bounded retries, on-failure records).
 *
 * Reference: "Using AWS Lambda with Amazon Kinesis" in the Lambda developer guide (polling and batching,
 * error handling, ReportBatchItemFailures, on-failure destinations).
 */
import { randomUUID } from 'node:crypto';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { StartingPosition, StreamMappingDefinition } from '../../lib/topology.js';
import type { LocalFunction } from '../runtime/function-host.js';
import {
  type Decision,
  decideAfterInvocation,
  type FailureCondition,
  type InvocationOutcome,
  type PendingBatch,
  retryBackoffMs,
} from './batch-decision.js';

/** The record Lambda sends to an SQS or SNS on-failure destination for a discarded Kinesis batch. */
export interface OnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: string;
  };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface KinesisEventSourceMappingOptions {
  kinesis: KinesisClient;
  streamName: string;
  streamArn: string;
  mapping: StreamMappingDefinition;
  fn: LocalFunction;
  /** The on-failure destination: receives batch metadata only, never the records. */
  onFailure: (record: OnFailureRecord) => Promise<void>;
  log: (line: string) => void;
  region: string;
  /** Pause between GetRecords calls on a shard with nothing to deliver; default 250 ms. */
  pollIntervalMs?: number;
  /** How often new shards (after resharding) are looked for; default 5 s. */
  shardDiscoveryIntervalMs?: number;
  /** Delay before a retry, given the retries spent so far; default `retryBackoffMs` (100 ms .. 2 s). */
  retryDelayMs?: (retriesSpent: number) => number;
  /** Account id in the ARNs of the event; default `000000000000`. */
  accountId?: string;
  /** Clock for record ages, injectable for tests; default `Date.now`. */
  now?: () => number;
}

export interface ShardStats {
  shardId: string;
  /** Last sequence number the mapping is done with (succeeded or discarded). */
  checkpoint?: string;
  /** Records read from the shard and not yet invoked. */
  bufferedRecords: number;
  /** The shard was closed (resharding) and every record of it handled. */
  finished: boolean;
}

export interface KinesisEventSourceMappingStats {
  shards: ShardStats[];
  invocations: number;
  recordsInvoked: number;
  batchesSucceeded: number;
  retries: number;
  bisections: number;
  discardedBatches: number;
  discardedRecords: number;
  lastError?: string;
}

export interface KinesisEventSourceMapping {
  /** Resolves once the shards known at start have iterators, i.e. a LATEST mapping sees what is put next. */
  ready: Promise<void>;
  /** Stops polling; an in-flight invocation is abandoned (its batch is neither checkpointed nor retried). */
  stop(): Promise<void>;
  stats(): KinesisEventSourceMappingStats;
}

/** A record read from the shard, with what the event and the decisions need. */
interface StreamRecord {
  sequenceNumber: string;
  approximateArrivalTimestampMs: number;
  partitionKey: string;
  data: Uint8Array;
}

const STOPPED = Symbol('stopped');

/** Starts polling `streamName` for `fn` with the settings of `mapping`. */
export function startKinesisEventSourceMapping(
  options: KinesisEventSourceMappingOptions,
): KinesisEventSourceMapping {
  const { kinesis, mapping, fn, log } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const discoveryIntervalMs = options.shardDiscoveryIntervalMs ?? 5000;
  const retryDelayMs = options.retryDelayMs ?? retryBackoffMs;
  const now = options.now ?? Date.now;
  const accountId = options.accountId ?? '000000000000';
  const functionArn = `arn:aws:lambda:${options.region}:${accountId}:function:${fn.id}`;
  const invokeIdentityArn = `arn:aws:iam::${accountId}:role/${fn.id}-role`;
  const settings = {
    maximumRetryAttempts: mapping.maximumRetryAttempts,
    maximumRecordAgeInSeconds: mapping.maximumRecordAgeInSeconds,
    bisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
    reportBatchItemFailures: mapping.reportBatchItemFailures,
  };

  const stats: Omit<KinesisEventSourceMappingStats, 'shards'> = {
    invocations: 0,
    recordsInvoked: 0,
    batchesSucceeded: 0,
    retries: 0,
    bisections: 0,
    discardedBatches: 0,
    discardedRecords: 0,
  };
  const shards = new Map<string, ShardStats>();
  const loops = new Set<Promise<void>>();
  let stopped = false;
  let signalStop: () => void = () => undefined;
  const stopSignal = new Promise<typeof STOPPED>((resolve) => {
    signalStop = () => resolve(STOPPED);
  });

  /** Waits for `promise` unless the mapping stops first. */
  const untilStopped = <T>(promise: Promise<T>): Promise<T | typeof STOPPED> => {
    promise.catch(() => undefined);
    return Promise.race([promise, stopSignal]);
  };
  const sleep = async (ms: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await untilStopped(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))));
    clearTimeout(timer);
  };
  const recordError = (message: string) => {
    stats.lastError = message;
    log(message);
  };

  const toEvent = (shardId: string, records: StreamRecord[]): KinesisStreamEvent => ({
    Records: records.map(
      (record): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: record.partitionKey,
          sequenceNumber: record.sequenceNumber,
          data: Buffer.from(record.data).toString('base64'),
          approximateArrivalTimestamp: record.approximateArrivalTimestampMs / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${record.sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn,
        awsRegion: options.region,
        eventSourceARN: options.streamArn,
      }),
    ),
  });

  const onFailureRecord = (
    shardId: string,
    decision: Extract<Decision<StreamRecord>, { action: 'discard' }>,
  ): OnFailureRecord => {
    const records = decision.batch.records;
    const first = records[0] as StreamRecord;
    const last = records[records.length - 1] as StreamRecord;
    return {
      requestContext: {
        requestId: randomUUID(),
        functionArn,
        condition: decision.condition,
        approximateInvokeCount: decision.batch.invokeCount,
      },
      // The Invoke API answers 200 even for a function error; the error shows in functionError.
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(decision.functionError ? { functionError: decision.functionError } : {}),
      },
      version: '1.0',
      timestamp: new Date(now()).toISOString(),
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: last.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.approximateArrivalTimestampMs).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.approximateArrivalTimestampMs).toISOString(),
        batchSize: records.length,
        streamArn: options.streamArn,
      },
    };
  };

  /** Delivers to the destination until it accepts: a discarded batch must leave a trace. */
  const deliverOnFailure = async (record: OnFailureRecord): Promise<boolean> => {
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        await options.onFailure(record);
        return true;
      } catch (error) {
        recordError(`on-failure destination rejected a record (attempt ${attempt}): ${describe(error)}`);
        await sleep(retryDelayMs(attempt));
      }
    }
    return false;
  };

  /** Runs one batch to completion: success, or retries/bisections until done or discarded. */
  const processBatch = async (shard: ShardStats, records: StreamRecord[]): Promise<void> => {
    const work: PendingBatch<StreamRecord>[] = [{ records, retries: 0, invokeCount: 0 }];
    while (work.length > 0 && !stopped) {
      const current = work[0] as PendingBatch<StreamRecord>;
      stats.invocations += 1;
      stats.recordsInvoked += current.records.length;
      const result = await untilStopped(fn.invoke(toEvent(shard.shardId, current.records)));
      if (result === STOPPED) return;
      const outcome: InvocationOutcome =
        result.status === 'ok'
          ? { kind: 'response', payload: result.payload }
          : { kind: 'function-error', errorType: result.errorType, errorMessage: result.errorMessage };
      const invoked = { ...current, invokeCount: current.invokeCount + 1 };
      const decision = decideAfterInvocation(invoked, outcome, settings, now());
      const range = `${shard.shardId} ${current.records.length} record(s) from ${current.records[0]?.sequenceNumber}`;
      switch (decision.action) {
        case 'checkpoint':
          stats.batchesSucceeded += 1;
          shard.checkpoint = current.records[current.records.length - 1]?.sequenceNumber;
          work.shift();
          break;
        case 'retry': {
          stats.retries += 1;
          const succeeded = current.records.length - decision.batch.records.length;
          if (succeeded > 0) shard.checkpoint = current.records[succeeded - 1]?.sequenceNumber;
          recordError(`${range}: ${describeReason(decision.reason)}; retry ${decision.batch.retries}`);
          work[0] = decision.batch;
          await sleep(retryDelayMs(decision.batch.retries));
          break;
        }
        case 'bisect':
          stats.bisections += 1;
          recordError(
            `${range}: ${outcome.kind === 'function-error' ? `${outcome.errorType}: ${outcome.errorMessage}` : ''}; ` +
              `bisecting into ${decision.batches[0].records.length} + ${decision.batches[1].records.length}`,
          );
          work.splice(0, 1, ...decision.batches);
          await sleep(retryDelayMs(Math.max(1, current.retries)));
          break;
        case 'discard': {
          const discarded = decision.batch.records;
          const skipped = current.records.length - discarded.length;
          if (skipped > 0) shard.checkpoint = current.records[skipped - 1]?.sequenceNumber;
          recordError(
            `${range}: ${describeReason(decision.reason)}; ${decision.condition}, sending ${discarded.length} ` +
              'record(s) to the on-failure destination',
          );
          if (!(await deliverOnFailure(onFailureRecord(shard.shardId, decision)))) return;
          stats.discardedBatches += 1;
          stats.discardedRecords += discarded.length;
          shard.checkpoint = discarded[discarded.length - 1]?.sequenceNumber;
          work.shift();
          break;
        }
      }
    }
  };

  const iteratorFor = async (
    shardId: string,
    type: ShardIteratorType,
    afterSequenceNumber?: string,
  ): Promise<string | undefined> => {
    const output = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: options.streamName,
        ShardId: shardId,
        ShardIteratorType: type,
        ...(afterSequenceNumber ? { StartingSequenceNumber: afterSequenceNumber } : {}),
      }),
    );
    return output.ShardIterator;
  };

  /** One shard: read, batch, invoke in order, until the shard is closed and drained or the mapping stops. */
  const pollShard = async (
    shard: ShardStats,
    initialIterator: string | undefined,
    position: StartingPosition,
  ) => {
    let iterator = initialIterator;
    let lastRead: string | undefined;
    const buffer: StreamRecord[] = [];
    let bufferSince = 0;
    const windowMs = mapping.maximumBatchingWindowInSeconds * 1000;
    while (!stopped) {
      if (iterator && buffer.length < mapping.batchSize) {
        try {
          const output = await untilStopped(
            kinesis.send(
              new GetRecordsCommand({ ShardIterator: iterator, Limit: mapping.batchSize - buffer.length }),
            ),
          );
          if (output === STOPPED) return;
          iterator = output.NextShardIterator;
          const records = output.Records ?? [];
          if (buffer.length === 0 && records.length > 0) bufferSince = now();
          for (const record of records) {
            buffer.push({
              sequenceNumber: record.SequenceNumber ?? '',
              approximateArrivalTimestampMs: record.ApproximateArrivalTimestamp?.getTime() ?? now(),
              partitionKey: record.PartitionKey ?? '',
              data: record.Data ?? new Uint8Array(),
            });
            lastRead = record.SequenceNumber;
          }
          shard.bufferedRecords = buffer.length;
        } catch (error) {
          const name = (error as { name?: string }).name;
          if (name === 'ExpiredIteratorException') {
            // Iterators live 5 minutes; continue where reading stopped.
            const renewed = await untilStopped(
              lastRead
                ? iteratorFor(shard.shardId, 'AFTER_SEQUENCE_NUMBER', lastRead)
                : iteratorFor(shard.shardId, position),
            ).catch(() => iterator);
            if (renewed === STOPPED) return;
            if (renewed === iterator) await sleep(Math.max(pollIntervalMs, 1000));
            iterator = renewed;
            continue;
          }
          // Throughput errors and outages alike: back off and read again with the same iterator.
          const throttled =
            name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException';
          if (!throttled) recordError(`GetRecords on ${shard.shardId} failed: ${describe(error)}`);
          await sleep(throttled ? 1000 : Math.max(pollIntervalMs, 1000));
          continue;
        }
      }

      const ready =
        buffer.length > 0 &&
        (buffer.length >= mapping.batchSize ||
          !iterator ||
          windowMs === 0 ||
          now() - bufferSince >= windowMs);
      if (ready) {
        const batch = buffer.splice(0, mapping.batchSize);
        shard.bufferedRecords = buffer.length;
        if (buffer.length > 0) bufferSince = now();
        await processBatch(shard, batch);
        continue;
      }
      if (!iterator && buffer.length === 0) {
        // A closed shard (split or merged) is done; its children may start now.
        shard.finished = true;
        return;
      }
      await sleep(pollIntervalMs);
    }
  };

  const startShard = async (shard: Shard, position: StartingPosition): Promise<void> => {
    const shardId = shard.ShardId ?? '';
    const state: ShardStats = { shardId, bufferedRecords: 0, finished: false };
    shards.set(shardId, state);
    try {
      const iterator = await iteratorFor(shardId, position);
      const loop = pollShard(state, iterator, position).catch((error: unknown) => {
        recordError(`polling ${shardId} stopped: ${describe(error)}`);
        shards.delete(shardId);
      });
      loops.add(loop);
    } catch (error) {
      // Forget the shard so the next discovery tries it again.
      shards.delete(shardId);
      recordError(`GetShardIterator on ${shardId} failed: ${describe(error)}`);
    }
  };

  const listShards = async (): Promise<Shard[]> => {
    const all: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const output = await kinesis.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: options.streamName }),
      );
      all.push(...(output.Shards ?? []));
      nextToken = output.NextToken;
    } while (nextToken);
    return all;
  };

  /**
   * Starts pollers for shards not yet polled. Shards present at start use the mapping's starting
   * position; shards that appear later are children of a reshard and are read from TRIM_HORIZON after
   * their parents are drained, as Lambda does to keep per-key order.
   */
  const discover = async (initial: boolean): Promise<void> => {
    const listed = await listShards();
    const starts: Promise<void>[] = [];
    for (const shard of listed) {
      const shardId = shard.ShardId;
      if (!shardId || shards.has(shardId)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => !!id);
      if (parents.some((id) => shards.has(id) && !shards.get(id)?.finished)) continue;
      starts.push(startShard(shard, initial ? mapping.startingPosition : 'TRIM_HORIZON'));
    }
    await Promise.all(starts);
  };

  const ready = (async () => {
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        await discover(true);
        return;
      } catch (error) {
        recordError(`ListShards on ${options.streamName} failed (attempt ${attempt}): ${describe(error)}`);
        await sleep(Math.min(5000, 200 * attempt));
      }
    }
  })();

  const discovery = (async () => {
    await ready;
    while (!stopped) {
      await sleep(discoveryIntervalMs);
      if (stopped) return;
      await discover(false).catch((error: unknown) => recordError(`ListShards failed: ${describe(error)}`));
    }
  })();

  return {
    ready,
    async stop() {
      stopped = true;
      signalStop();
      await Promise.allSettled([ready, discovery, ...loops]);
    },
    stats: () => ({ ...stats, shards: [...shards.values()].map((shard) => ({ ...shard })) }),
  };
}

function describeReason(reason: Extract<Decision, { action: 'retry' }>['reason']): string {
  switch (reason.kind) {
    case 'function-error':
      return `function error ${reason.errorType}: ${reason.errorMessage}`;
    case 'partial-failure':
      return `batch item failure from ${reason.failedSequenceNumber}`;
    case 'invalid-response':
      return `invalid batchItemFailures (${reason.detail}), the whole batch failed`;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
