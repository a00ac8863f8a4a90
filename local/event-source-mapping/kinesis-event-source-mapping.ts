/**
 * A local Kinesis event source mapping: finds the shards of a stream (and, after a reshard, their
 * children once the parents are drained), runs a `ShardPoller` per shard, and sums their stats. The
 * rules live in the pieces: `batching.ts` (when a batch is ready), `batch-decision.ts` (what to do after
 * an invocation), `batch-runner.ts` (carrying it out), `checkpoint.ts` (where a shard stands).
 *
 * Reference: "Using AWS Lambda with Amazon Kinesis" in the Lambda developer guide (polling and batching,
 * error handling, ReportBatchItemFailures, on-failure destinations).
 */
import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { type Backoff, jitteredDelay } from '../../lambdas/shared/retry.js';
import type { StreamMappingDefinition } from '../../lib/topology.js';
import { Lifetime } from '../lifetime.js';
import type { LocalFunction } from '../runtime/function-host.js';
import { type BatchContext, describeError, noCounts, type ShardCounters } from './batch-runner.js';
import type { OnFailureRecord } from './kinesis-event.js';
import { ShardPoller, type ShardStats } from './shard-poller.js';
import { ShardReader } from './shard-reader.js';

/**
 * Backoff between retries of a batch: from 100 ms, doubling, capped at 2 s (jittered). AWS does not
 * document its own; a cap this low lets a shard that waits out an outage resume within seconds of the end.
 */
export const MAPPING_RETRY_BACKOFF: Backoff = { baseDelayMs: 100, maxDelayMs: 2000 };

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
  /** Delay before a retry, given the retries spent so far; default `MAPPING_RETRY_BACKOFF`, jittered. */
  retryDelayMs?: (retriesSpent: number) => number;
  /** Clock for record ages, injectable for tests; default `Date.now`. */
  now?: () => number;
}

export interface KinesisEventSourceMappingStats extends ShardCounters {
  functionId: string;
  /** Per shard: checkpoint, iterator age, buffered and in-flight records, and its own counters. */
  shards: ShardStats[];
  /** The largest iterator age of the shards: how far behind the mapping is. */
  iteratorAgeMs: number;
  /** The last line the mapping logged (a retry, a discard, a read failure or its end), if any. */
  lastLogLine?: string;
}

export interface KinesisEventSourceMapping {
  /** Resolves once the shards known at start have iterators, i.e. a LATEST mapping sees what is put next. */
  ready: Promise<void>;
  /** Stops polling; an in-flight invocation is abandoned (its batch is neither checkpointed nor retried). */
  stop(): Promise<void>;
  stats(): KinesisEventSourceMappingStats;
}

/** Starts polling `streamName` for `fn` with the settings of `mapping`. */
export function startKinesisEventSourceMapping(
  options: KinesisEventSourceMappingOptions,
): KinesisEventSourceMapping {
  const { kinesis, mapping, fn } = options;
  const lifetime = new Lifetime();
  const pollers = new Map<string, ShardPoller>();
  const loops = new Set<Promise<void>>();
  let lastLogLine: string | undefined;
  const log = (line: string) => {
    lastLogLine = line;
    options.log(line);
  };
  const context: BatchContext = {
    fn,
    source: { region: options.region, streamArn: options.streamArn, functionId: fn.id },
    settings: {
      maximumRetryAttempts: mapping.maximumRetryAttempts,
      maximumRecordAgeInSeconds: mapping.maximumRecordAgeInSeconds,
      bisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
    },
    lifetime,
    retryDelayMs:
      options.retryDelayMs ?? ((retries) => jitteredDelay(retries, MAPPING_RETRY_BACKOFF, Math.random)),
    onFailure: options.onFailure,
    now: options.now ?? Date.now,
    log,
  };
  const pollerSettings = {
    batchSize: mapping.batchSize,
    maximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
    pollIntervalMs: options.pollIntervalMs ?? 250,
  };

  const startShard = async (shardId: string, initial: boolean): Promise<void> => {
    // Shards present at start use the mapping's starting position; later ones are children of a
    // reshard, read from TRIM_HORIZON after their parents are drained, as Lambda does to keep key order.
    const position = initial ? mapping.startingPosition : 'TRIM_HORIZON';
    const reader = new ShardReader(kinesis, options.streamName, shardId, position, context.now);
    const poller = new ShardPoller(reader, pollerSettings, context);
    pollers.set(shardId, poller);
    try {
      await reader.open();
    } catch (error) {
      // Forget the shard so the next discovery tries it again.
      pollers.delete(shardId);
      log(`GetShardIterator on ${shardId} failed: ${describeError(error)}`);
      return;
    }
    const loop = poller.run().catch((error: unknown) => {
      log(`polling ${shardId} stopped: ${describeError(error)}`);
      pollers.delete(shardId);
    });
    loops.add(loop);
  };

  const discover = async (initial: boolean): Promise<void> => {
    const shards = await listShards(kinesis, options.streamName);
    await Promise.all(shardsReadyToStart(shards, pollers).map((shardId) => startShard(shardId, initial)));
  };

  const ready = (async () => {
    for (let attempt = 1; !lifetime.ended; attempt += 1) {
      try {
        await discover(true);
        return;
      } catch (error) {
        log(`ListShards on ${options.streamName} failed (attempt ${attempt}): ${describeError(error)}`);
        await lifetime.sleep(context.retryDelayMs(attempt));
      }
    }
  })();

  const discovery = (async () => {
    await ready;
    while (!lifetime.ended) {
      await lifetime.sleep(options.shardDiscoveryIntervalMs ?? 5000);
      if (lifetime.ended) return;
      await discover(false).catch((error: unknown) => log(`ListShards failed: ${describeError(error)}`));
    }
  })();

  return {
    ready,
    async stop() {
      lifetime.end();
      await Promise.allSettled([ready, discovery, ...loops]);
    },
    stats: () => {
      const shards = [...pollers.values()].map((poller) => poller.stats());
      const totals = noCounts();
      for (const shard of shards) {
        for (const key of Object.keys(totals) as (keyof ShardCounters)[]) totals[key] += shard[key];
      }
      return {
        functionId: fn.id,
        ...totals,
        shards,
        iteratorAgeMs: Math.max(0, ...shards.map((shard) => shard.iteratorAgeMs)),
        ...(lastLogLine !== undefined ? { lastLogLine } : {}),
      };
    },
  };
}

/**
 * The listed shards to start polling now: not started yet, and every parent still on the stream
 * started AND read to its end. A parent not started yet (its own parent is still being read, or its
 * iterator could not be had) holds its children back too, so that after a split and a merge the
 * grandchild never overtakes its parents; a parent no longer listed (trimmed off the stream) holds
 * nothing back.
 */
export function shardsReadyToStart(
  shards: Pick<Shard, 'ShardId' | 'ParentShardId' | 'AdjacentParentShardId'>[],
  started: ReadonlyMap<string, { finished: boolean }>,
): string[] {
  const listed = new Set(shards.map((shard) => shard.ShardId));
  const ready: string[] = [];
  for (const shard of shards) {
    const shardId = shard.ShardId;
    if (!shardId || started.has(shardId)) continue;
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => !!id);
    if (parents.some((id) => listed.has(id) && !started.get(id)?.finished)) continue;
    ready.push(shardId);
  }
  return ready;
}

async function listShards(kinesis: KinesisClient, streamName: string): Promise<Shard[]> {
  const all: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const output = await kinesis.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
    );
    all.push(...(output.Shards ?? []));
    nextToken = output.NextToken;
  } while (nextToken);
  return all;
}
