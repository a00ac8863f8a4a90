/**
 * Kinesis event source mapping of the rollup writer: thin adapter over `rollup-core.ts`.
 */
import { loadRollupWriterConfig, loadTimestampBounds } from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { logger } from '../shared/logger.js';
import { metrics } from '../shared/metrics.js';
import { realTiming } from '../shared/retry.js';
import { sqsClient } from '../shared/sqs-client.js';
import { kinesisConsumerHandler } from '../shared/stream-consumer-handler.js';
import { applyRecords, type RollupDeps, type ShardRegistryCache } from './rollup-core.js';

const config = loadRollupWriterConfig();
const deps: RollupDeps = {
  dynamo: dynamoDocumentClient(),
  tableName: config.rollupsTableName,
  sqs: sqsClient(),
  deadLetterQueueUrl: config.deadLetterQueueUrl,
  timing: realTiming,
  log: logger,
  metrics,
  maxFutureMs: loadTimestampBounds().maxFutureMs,
  registry: new Map() satisfies ShardRegistryCache,
};

/** Lambda entry point of the rollup writer function; 5 s are kept back to report batch item failures. */
export const handler = kinesisConsumerHandler(
  (records, deadline) => applyRecords(records, deps, deadline),
  5_000,
);
