/**
 * Kinesis event source mapping of the indexer: thin adapter over `indexer-core.ts`.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadIndexerConfig } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { openSearchApi } from '../shared/opensearch-api.js';
import { invocationDeadline, realTiming } from '../shared/retry.js';
import { sqsClient } from '../shared/sqs-client.js';
import { type IndexerDeps, indexRecords } from './indexer-core.js';

/** Time kept back to report batch item failures after the last retry. */
const ANSWER_MARGIN_MS = 5_000;

const config = loadIndexerConfig();
const deps: IndexerDeps = {
  search: openSearchApi(config.opensearch),
  sqs: sqsClient(),
  deadLetterQueueUrl: config.deadLetterQueueUrl,
  indexPrefix: config.indexPrefix,
  timing: realTiming,
  log: logger,
  registryRetention: {},
};

/** Lambda entry point of the indexer function. */
export async function handler(
  event: KinesisStreamEvent,
  context: Context,
): Promise<KinesisStreamBatchResponse> {
  logger.addContext(context);
  const outcome = await indexRecords(
    event.Records,
    deps,
    invocationDeadline(context.getRemainingTimeInMillis(), ANSWER_MARGIN_MS, Date.now()),
  );
  return outcome.response;
}
