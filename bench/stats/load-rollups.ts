/**
 * Loads a dataset into DynamoDB Local THROUGH the real rollup writer core: Kinesis-shaped records
 * (base64 JSON data, `shardId-…:<sequence>` event ids), split over `shards` shards by a hash of the
 * partition key as Kinesis does, in batches of the rollup mapping's batch size; each shard applies its
 * batches in order (one batch in flight per shard, as Lambda does), the shards run in parallel.
 */
import { createHash } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { eventKey, type StoredEvent } from '../../lambdas/shared/event-schema.js';
import type { Log } from '../../lambdas/shared/logger.js';
import { realTiming } from '../../lambdas/shared/retry.js';
import { applyRecords, type ShardRegistryCache } from '../../lambdas/stats/rollup-core.js';
import { STREAM_MAPPINGS } from '../../lib/topology.js';
import { type EventSource, kinesisStreamEvent } from '../../local/event-source-mapping/kinesis-event.js';
import { meterCapacity } from './capacity.js';

const BATCH_SIZE =
  STREAM_MAPPINGS.find((mapping) => mapping.functionId === 'rollup-writer')?.batchSize ?? 500;

const quiet: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(`  writer: ${message}`),
  error: (message: string) => console.error(`  writer: ${message}`),
} as unknown as Log;

/** Where the bench's records come from, as the local event source mapping names it. */
const SOURCE: EventSource = {
  region: 'us-east-1',
  streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/events',
  functionId: 'rollup-writer',
};

/** The events as Lambda delivers them from `shardId`, numbered from `firstSequence`. */
function records(events: StoredEvent[], shardId: string, firstSequence: number): KinesisStreamRecord[] {
  const streamRecords = events.map((event, index) => ({
    sequenceNumber: String(firstSequence + index).padStart(56, '0'),
    approximateArrivalTimestampMs: Date.parse(event.received_at),
    partitionKey: eventKey(event),
    data: Buffer.from(JSON.stringify(event)),
  }));
  return kinesisStreamEvent(SOURCE, shardId, streamRecords).Records;
}

export interface LoadResult {
  events: number;
  batches: number;
  seconds: number;
  eventsPerSecond: number;
  /** What DynamoDB reported consumed, per event: dedupe markers, sub-items and registry together. */
  writeUnitsPerEvent: number;
  readUnitsPerEvent: number;
  requests: Record<string, number>;
}

export async function loadRollups(
  events: StoredEvent[],
  options: {
    dynamo: DynamoDBDocumentClient;
    tableName: string;
    shards: number;
    progress: (line: string) => void;
  },
): Promise<LoadResult> {
  const byShard: StoredEvent[][] = Array.from({ length: options.shards }, () => []);
  for (const event of events) {
    const hash = createHash('md5').update(eventKey(event)).digest().readUInt32BE(0);
    byShard[hash % options.shards]?.push(event);
  }
  const registry: ShardRegistryCache = new Map();
  const capacity = meterCapacity(options.dynamo);
  const deps = {
    dynamo: options.dynamo,
    tableName: options.tableName,
    sqs: new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1' }),
    deadLetterQueueUrl: 'http://127.0.0.1:1/unused',
    timing: realTiming,
    log: quiet,
    metrics: { count: () => undefined, flush: () => undefined },
    registry,
  };
  const started = performance.now();
  let batches = 0;
  let done = 0;
  let nextReport = 0;
  await Promise.all(
    byShard.map(async (shardEvents, shard) => {
      const shardId = `shardId-${String(shard).padStart(12, '0')}`;
      for (let offset = 0; offset < shardEvents.length; offset += BATCH_SIZE) {
        const batch = shardEvents.slice(offset, offset + BATCH_SIZE);
        const batchRecords = records(batch, shardId, offset + 1);
        const outcome = await applyRecords(batchRecords, deps, Date.now() + 60_000);
        if (outcome.counts.failed > 0 || outcome.counts.done !== batch.length) {
          throw new Error(`the writer did not apply a batch: ${JSON.stringify(outcome.counts)}`);
        }
        batches += 1;
        done += batch.length;
        if (done >= nextReport) {
          const seconds = (performance.now() - started) / 1000;
          options.progress(`  ${done} / ${events.length} events (${Math.round(done / seconds)}/s)`);
          nextReport += Math.max(10_000, events.length / 10);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    events: events.length,
    batches,
    seconds,
    eventsPerSecond: Math.round(events.length / seconds),
    writeUnitsPerEvent: capacity.writeUnits / events.length,
    readUnitsPerEvent: capacity.readUnits / events.length,
    requests: capacity.requests,
  };
}
