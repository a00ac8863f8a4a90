/**
 * Kinesis event source mapping of the rollup writer: thin adapter over `rollup-core.ts`.
 */
import { loadRollupWriterConfig, loadTimestampBounds } from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { logger } from '../shared/logger.js';
import { metrics } from '../shared/metrics.js';
import { realTiming } from '../shared/retry.js';
import { sqsClient } from '../shared/sqs-client.js';
import { stoppingAt } from '../shared/stopping-client.js';
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

/** Kept back from the invocation's remaining time: no DynamoDB request starts later than this before the end. */
const ANSWER_MARGIN_MS = 5_000;
/**
 * A DynamoDB (or dead-letter) request still in flight this long after the deadline is given up
 * (`stopping-client.ts`), leaving 2 s to report its events for redelivery before Lambda's timeout would
 * fail the whole batch.
 */
const REQUESTS_STOP_AFTER_DEADLINE_MS = 3_000;

/** Lambda entry point of the rollup writer function. */
export const handler = kinesisConsumerHandler(
  (records, deadline) =>
    applyRecords(
      records,
      {
        ...deps,
        dynamo: stoppingAt(deps.dynamo, deadline + REQUESTS_STOP_AFTER_DEADLINE_MS),
        sqs: stoppingAt(deps.sqs, deadline + REQUESTS_STOP_AFTER_DEADLINE_MS),
      },
      deadline,
    ),
  ANSWER_MARGIN_MS,
);
