/**
 * Kinesis event source mapping of the rollup writer: thin adapter over `rollup-core.ts`.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadRollupWriterConfig } from '../shared/config.js';
import { dynamoDocumentClient } from '../shared/dynamodb-client.js';
import { logger } from '../shared/logger.js';
import { invocationDeadline, realTiming } from '../shared/retry.js';
import { sqsClient } from '../shared/sqs-client.js';
import { applyRecords, type RollupDeps, type ShardRegistryCache } from './rollup-core.js';

/** Time kept back to report batch item failures after the last retry. */
const ANSWER_MARGIN_MS = 5_000;

const config = loadRollupWriterConfig();
const deps: RollupDeps = {
  dynamo: dynamoDocumentClient(),
  tableName: config.rollupsTableName,
  sqs: sqsClient(),
  deadLetterQueueUrl: config.deadLetterQueueUrl,
  timing: realTiming,
  log: logger,
  registry: new Map() satisfies ShardRegistryCache,
};

/** Lambda entry point of the rollup writer function. */
export async function handler(
  event: KinesisStreamEvent,
  context: Context,
): Promise<KinesisStreamBatchResponse> {
  logger.addContext(context);
  const outcome = await applyRecords(
    event.Records,
    deps,
    invocationDeadline(context.getRemainingTimeInMillis(), ANSWER_MARGIN_MS, Date.now()),
  );
  return outcome.response;
}
