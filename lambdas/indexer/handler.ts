/**
 * Kinesis event source mapping of the indexer: thin adapter over `indexer-core.ts`.
 */
import { sqsClient } from '../shared/clients.js';
import { loadIndexerConfig } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { metrics } from '../shared/metrics.js';
import { openSearchClient } from '../shared/opensearch-client.js';
import { realTiming } from '../shared/retry.js';
import { kinesisConsumerHandler } from '../shared/stream-consumer-handler.js';
import { type IndexerDeps, indexRecords } from './indexer-core.js';

const config = loadIndexerConfig();
const deps: IndexerDeps = {
  search: openSearchClient(config.opensearch),
  sqs: sqsClient(),
  deadLetterQueueUrl: config.deadLetterQueueUrl,
  indexPrefix: config.indexPrefix,
  timing: realTiming,
  log: logger,
  metrics,
  registryRetention: {},
};

/** Lambda entry point of the indexer function; 5 s are kept back to report batch item failures. */
export const handler = kinesisConsumerHandler(
  (records, deadline) => indexRecords(records, deps, deadline),
  5_000,
);
