/**
 * OpenSearch's own cost of the indexer's requests, with nothing else running: the indexer core (registry
 * `_mget`, registration `create`s, document `create`s, as the function runs them) fed the stored events
 * of the same bodies in the mapping's 500-record batches, one batch at a time, against raw `_bulk` of the
 * same stored events, one request at a time, interleaved. Inside the pipeline rounds OpenSearch shares
 * the 2 cores with every other process, its JIT is still warming and events trickle in over more refresh
 * cycles; this tells how much of its extra CPU per event is the indexer's requests themselves.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import bulk from '@opensearch-project/opensearch/api/_core/bulk.js';
import mget from '@opensearch-project/opensearch/api/_core/mget.js';
import deleteIndex from '@opensearch-project/opensearch/api/indices/delete.js';
import type { KinesisStreamRecord } from 'aws-lambda';
import { type IndexerDeps, indexRecords } from '../../lambdas/indexer/indexer-core.js';
import { receiptOf, storedJson, storeEvent } from '../../lambdas/ingest/stored-record.js';
import { validateIncomingEvent } from '../../lambdas/shared/event-validation.js';
import { openSearchApi } from '../../lambdas/shared/opensearch-api.js';
import { realTiming } from '../../lambdas/shared/retry.js';
import { silentLog } from '../../test/helpers/factories.js';
import { median } from '../shared/rounds.js';
import { cpuBetween, processTreeCpu } from './process-cpu.js';

const OPENSEARCH = 'opensearch (java)';
/** Background work a subject leaves (refresh, merges) is charged to it: wait this long before reading the CPU. */
const SETTLE_MS = 1_500;

export interface OpenSearchAlone {
  rounds: number;
  /** OpenSearch CPU ms per event, median over the rounds, of each subject. */
  cpuMsPerEvent: { indexer: number; rawBulk: number };
  /** The indexer's requests ÷ raw `_bulk`, per event. */
  indexerVsRaw: number;
}

/** The stored events (as ingest writes them to the stream) of each body, for `accountId`, received now. */
export function storedBatches(bodies: string[], accountId: string, now = new Date()): string[][] {
  const receipt = receiptOf({
    accountId,
    receivedAt: now,
    clientIp: '127.0.0.1',
    userAgent: 'bench',
    newEventId: () => {
      throw new Error('bench events carry their event_id');
    },
  });
  return bodies.map((body) =>
    (JSON.parse(body) as { events: unknown[] }).events.map((event) => {
      const validation = validateIncomingEvent(event, now);
      const record = validation.ok ? storeEvent(validation, receipt) : validation;
      if (!record.ok) throw new Error(`a bench event is refused: ${JSON.stringify(record.errors)}`);
      return storedJson(record, receipt);
    }),
  );
}

/**
 * A Kinesis record of the event source mapping carrying `data` at `sequence`, arrived now (the tests'
 * `kinesisRecord` has a fixed arrival time, which would make the records look hours old).
 */
export function streamRecord(data: string, sequence: number): KinesisStreamRecord {
  const sequenceNumber = String(sequence).padStart(20, '0');
  return {
    awsRegion: 'local',
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    eventSource: 'aws:kinesis',
    eventSourceARN: 'arn:aws:kinesis:local:000000000000:stream/bench',
    eventVersion: '1.0',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'bench',
      sequenceNumber,
      approximateArrivalTimestamp: Date.now() / 1000,
      data: Buffer.from(data, 'utf8').toString('base64'),
    },
  };
}

/** Interleaved rounds of the two subjects, each with fresh events of a fresh account. */
export async function openSearchAlone(
  opensearchUrl: string,
  bodies: () => string[],
  rounds: number,
): Promise<OpenSearchAlone> {
  const search = openSearchApi(
    { endpoint: opensearchUrl, auth: 'none', region: undefined },
    { bulk, mget, indices: { delete: deleteIndex } },
  );
  const deps: IndexerDeps = {
    search,
    // Never called: every bench event is valid, so nothing is dead-lettered.
    sqs: new SQSClient({ region: 'local' }),
    deadLetterQueueUrl: 'http://127.0.0.1:1/unused',
    indexPrefix: 'events',
    timing: realTiming,
    log: silentLog,
    metrics: { count: () => undefined, flush: () => undefined },
    registryRetention: {},
    eventIndexRetention: {},
  };
  const spent: { indexer: number[]; rawBulk: number[] } = { indexer: [], rawBulk: [] };
  let sequence = 0;
  for (let round = 0; round < rounds; round += 1) {
    const batches = storedBatches(bodies(), `acct_alone${round}_${Date.now()}`);
    const events = batches.reduce((sum, batch) => sum + batch.length, 0);
    const subjects = {
      indexer: async () => {
        for (const batch of batches) {
          const records = batch.map((data, position) => streamRecord(data, sequence + position + 1));
          sequence += batch.length;
          const outcome = await indexRecords(records, deps, Date.now() + 60_000);
          if (outcome.counts.done !== batch.length)
            throw new Error(`the indexer settled ${JSON.stringify(outcome.counts)}`);
        }
      },
      rawBulk: async () => {
        for (const batch of batches) {
          const body = batch.flatMap((data) => {
            const event = JSON.parse(data) as { account_id: string; event_id: string };
            return [
              {
                index: {
                  _index: `events-bench-alone-${round}`,
                  _id: `${event.account_id}:${event.event_id}`,
                },
              },
              event,
            ];
          });
          const { body: answer } = await search.bulk({ body });
          if (answer.errors) throw new Error('raw _bulk answered with errors');
        }
      },
    };
    // Alternate which goes first, so neither always runs on the other's leftovers.
    const order = round % 2 === 0 ? (['indexer', 'rawBulk'] as const) : (['rawBulk', 'indexer'] as const);
    for (const name of order) {
      const before = processTreeCpu();
      await subjects[name]();
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      spent[name].push((1000 * (cpuBetween(before, processTreeCpu())[OPENSEARCH] ?? 0)) / events);
    }
  }
  const cpuMsPerEvent = { indexer: median(spent.indexer), rawBulk: median(spent.rawBulk) };
  return { rounds, cpuMsPerEvent, indexerVsRaw: cpuMsPerEvent.indexer / cpuMsPerEvent.rawBulk };
}
