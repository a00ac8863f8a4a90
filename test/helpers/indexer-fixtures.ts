/**
 * The indexer core's dependencies for unit tests: an in-memory OpenSearch, a mocked SQS client (mock it
 * with aws-sdk-client-mock in the test file), a fake clock and a silent log unless one is given.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { IndexerDeps } from '../../lambdas/indexer/indexer-core.js';
import { fakeTiming, silentLog } from './factories.js';
import type { FakeOpenSearch } from './fake-opensearch.js';
import { RecordedMetrics } from './recorded-metrics.js';

export function indexerDeps(search: FakeOpenSearch, overrides: Partial<IndexerDeps> = {}): IndexerDeps {
  return {
    search,
    sqs: new SQSClient({ region: 'eu-west-1' }),
    deadLetterQueueUrl: 'http://sqs/dead-letter',
    indexPrefix: 'events',
    timing: fakeTiming(),
    log: silentLog,
    metrics: new RecordedMetrics(),
    registryRetention: {},
    eventIndexRetention: {},
    ...overrides,
  };
}

/** Ten seconds after the fake clock's start: room for a few retries. */
export const indexerDeadline = () => Date.parse('2026-01-15T10:30:00.000Z') + 10_000;
