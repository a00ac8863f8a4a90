/**
 * Kinesis event source mapping of the indexer: thin adapter over `indexer-core.ts`.
 */
import bulk from '@opensearch-project/opensearch/api/_core/bulk.js';
import mget from '@opensearch-project/opensearch/api/_core/mget.js';
import deleteIndex from '@opensearch-project/opensearch/api/indices/delete.js';
import { loadIndexerConfig, loadTimestampBounds } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { metrics } from '../shared/metrics.js';
import { openSearchApi } from '../shared/opensearch-api.js';
import { realTiming } from '../shared/retry.js';
import { sqsClient } from '../shared/sqs-client.js';
import { kinesisConsumerHandler } from '../shared/stream-consumer-handler.js';
import { type IndexerDeps, indexRecords } from './indexer-core.js';

const config = loadIndexerConfig();
const deps: IndexerDeps = {
  search: openSearchApi(config.opensearch, { bulk, mget, indices: { delete: deleteIndex } }),
  sqs: sqsClient(),
  deadLetterQueueUrl: config.deadLetterQueueUrl,
  indexPrefix: config.indexPrefix,
  timing: realTiming,
  log: logger,
  metrics,
  maxFutureMs: loadTimestampBounds().maxFutureMs,
  registryRetention: {},
  eventIndexRetention: {},
};

/** Lambda entry point of the indexer function; 5 s are kept back to report batch item failures. */
export const handler = kinesisConsumerHandler(
  (records, deadline) => indexRecords(records, deps, deadline),
  5_000,
);
