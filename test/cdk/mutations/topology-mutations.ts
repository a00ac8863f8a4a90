/**
 * Wrong topologies (and one wrong construct): each breaks one design rule, which must then name the
 * broken resource. `test/cdk/design-rules-mutations.test.ts` synthesizes the real stack from each with
 * `lib/topology.ts` (or `lib/constructs/pipeline-alarms.ts`) replaced through vi.doMock.
 */
import type * as AlarmsModule from '../../../lib/constructs/pipeline-alarms.js';
import type * as TopologyModule from '../../../lib/topology.js';
import type { FunctionId, StreamMappingDefinition } from '../../../lib/topology.js';

export type Topology = typeof TopologyModule;
export type Alarms = typeof AlarmsModule;

/** A deliberate mistake, the rule that must report it, and what its report must say. */
export interface Mutation {
  wrong: string;
  breaks: string;
  names: RegExp;
}

export interface TopologyMutation extends Mutation {
  topology?: (t: Topology) => Partial<Topology>;
  alarms?: (m: Alarms) => Partial<Alarms>;
}

/** The topology's mappings with one consumer's settings changed. */
const mappingChanged =
  (functionId: FunctionId, change: Partial<StreamMappingDefinition> | Record<string, unknown>) =>
  (t: Topology): Partial<Topology> => ({
    STREAM_MAPPINGS: t.STREAM_MAPPINGS.map((m) => (m.functionId === functionId ? { ...m, ...change } : m)),
  });

/** The alarms construct with one of its alarms removed after it is built. */
const alarmRemoved =
  (alarmId: string) =>
  (m: Alarms): Partial<Alarms> => ({
    PipelineAlarms: class extends m.PipelineAlarms {
      constructor(...args: ConstructorParameters<typeof m.PipelineAlarms>) {
        super(...args);
        if (!this.node.tryRemoveChild(alarmId)) throw new Error(`no alarm ${alarmId} to remove`);
      }
    },
  });

/** Live push is also granted the rollups table: it then writes a durable store. */
const broadcastWritesRollups = (t: Topology): Partial<Topology> => ({
  FUNCTION_BINDINGS: {
    ...t.FUNCTION_BINDINGS,
    'ws-broadcast': {
      ...t.FUNCTION_BINDINGS['ws-broadcast'],
      tables: { connections: 'readwrite', rollups: 'readwrite' },
    },
  },
});

export const TOPOLOGY_MUTATIONS: TopologyMutation[] = [
  {
    wrong: 'the indexer mapping does not bisect',
    topology: mappingChanged('indexer', { bisectBatchOnFunctionError: false }),
    breaks: 'bisect-on-function-error',
    names: /^indexer mapping/,
  },
  {
    wrong: 'the rollup writer mapping drops ReportBatchItemFailures',
    topology: mappingChanged('rollup-writer', { reportBatchItemFailures: false }),
    breaks: 'report-batch-item-failures',
    names: /^rollup-writer mapping/,
  },
  {
    wrong: 'the indexer retries 10 times, then discards',
    topology: mappingChanged('indexer', { maximumRetryAttempts: 10 }),
    breaks: 'durable-never-discards-in-outage',
    names: /^indexer mapping: MaximumRetryAttempts is 10/,
  },
  {
    wrong: 'the rollup writer discards records only when the stream does (nothing left to redrive)',
    topology: mappingChanged('rollup-writer', { maximumRecordAgeInSeconds: 7 * 86_400 }),
    breaks: 'durable-record-age-redrivable',
    names: /^rollup-writer mapping: .*less than/,
  },
  {
    wrong: 'the indexer gives up on records after an hour',
    topology: mappingChanged('indexer', { maximumRecordAgeInSeconds: 3600 }),
    breaks: 'durable-record-age-redrivable',
    names: /^indexer mapping: .*within a day/,
  },
  {
    wrong: 'the stream keeps records two days while the durable mappings wait six',
    topology: (t) => ({ EVENT_STREAM: { ...t.EVENT_STREAM, retentionHours: 48 } }),
    breaks: 'durable-record-age-redrivable',
    names: /^indexer mapping: .*retention/,
  },
  {
    wrong: 'the indexer starts at LATEST',
    topology: mappingChanged('indexer', { startingPosition: 'LATEST' }),
    breaks: 'durable-starts-at-trim-horizon',
    names: /^indexer mapping: StartingPosition is LATEST/,
  },
  {
    wrong: 'the rollup writer has no mapping',
    topology: (t) => ({ STREAM_MAPPINGS: t.STREAM_MAPPINGS.filter((m) => m.functionId !== 'rollup-writer') }),
    breaks: 'consumer-own-mapping',
    names: /^rollup-writer has no mapping/,
  },
  {
    wrong: 'live push may write the rollups (and so becomes durable)',
    topology: broadcastWritesRollups,
    breaks: 'single-writers',
    names: /^ws-broadcast may write the rollups table/,
  },
  {
    wrong: 'live push writes rollups but still discards after 2 retries',
    topology: broadcastWritesRollups,
    breaks: 'durable-never-discards-in-outage',
    names: /^ws-broadcast mapping: MaximumRetryAttempts is 2/,
  },
  {
    wrong: 'ingest may write API keys',
    topology: (t) => ({
      FUNCTION_BINDINGS: {
        ...t.FUNCTION_BINDINGS,
        ingest: { stream: 'write', tables: { apiKeys: 'readwrite' } },
      },
    }),
    breaks: 'single-writers',
    names: /^ingest may write the API keys table/,
  },
  {
    wrong: 'connections lose their account index',
    topology: (t) => ({
      TABLES: {
        ...t.TABLES,
        connections: { ...t.TABLES.connections, globalSecondaryIndexes: [] },
      } as unknown as Topology['TABLES'],
    }),
    breaks: 'connections-by-account',
    names: /connections table has no index/,
  },
  {
    wrong: 'rollup dedupe markers never expire',
    topology: (t) => ({
      TABLES: {
        ...t.TABLES,
        rollups: { ...t.TABLES.rollups, timeToLiveAttribute: undefined },
      } as unknown as Topology['TABLES'],
    }),
    breaks: 'tables-expire-by-ttl',
    names: /^rollups table has no TTL/,
  },
  {
    wrong: '$connect may issue live tokens',
    topology: (t) => ({
      FUNCTION_BINDINGS: {
        ...t.FUNCTION_BINDINGS,
        'ws-connect': { tables: { connections: 'readwrite', liveTokens: 'readwrite' } },
      },
    }),
    breaks: 'single-writers',
    names: /^ws-connect may write the live tokens table/,
  },
  {
    wrong: 'live tokens never expire',
    topology: (t) => ({
      TABLES: {
        ...t.TABLES,
        liveTokens: { ...t.TABLES.liveTokens, timeToLiveAttribute: undefined },
      } as unknown as Topology['TABLES'],
    }),
    breaks: 'tables-expire-by-ttl',
    names: /^liveTokens table has no TTL/,
  },
  {
    wrong: 'dead letters are kept one day',
    topology: (t) => ({
      QUEUES: {
        ...t.QUEUES,
        deadLetter: { ...t.QUEUES.deadLetter, retentionDays: 1 },
      } as unknown as Topology['QUEUES'],
    }),
    breaks: 'dead-letter-queue-kept-and-encrypted',
    names: /keeps messages only 86400 s/,
  },
  {
    wrong: 'the dead-letter alarm is removed',
    alarms: alarmRemoved('DeadLetterQueueNotEmpty'),
    breaks: 'dead-letter-alarm',
    names: /no ApproximateNumberOfMessagesVisible alarm on the dead-letter queue/,
  },
  {
    wrong: "the indexer's error alarm is removed",
    alarms: alarmRemoved('IndexerErrors'),
    breaks: 'function-error-alarms',
    names: /no Errors alarm on indexer/,
  },
  {
    wrong: "ingest's throttle alarm is removed",
    alarms: alarmRemoved('IngestThrottled'),
    breaks: 'request-function-throttle-alarms',
    names: /no Throttles alarm on ingest/,
  },
  {
    wrong: "ingest's admission-unchecked alarm is removed",
    alarms: alarmRemoved('IngestAdmissionUnchecked'),
    breaks: 'admission-unchecked-alarm',
    names: /^ingest has no AdmissionUnchecked alarm/,
  },
  {
    wrong: "the indexer's iterator-age alarm is removed",
    alarms: alarmRemoved('IndexerIteratorAge'),
    breaks: 'iterator-age-alarm-per-mapping',
    names: /^indexer mapping has no iterator-age alarm/,
  },
  {
    wrong: "the rollup writer's dead-lettered alarm is removed",
    alarms: alarmRemoved('RollupWriterDeadLettered'),
    breaks: 'dead-lettered-alarm-per-consumer',
    names: /^rollup-writer has no EventsDeadLettered alarm/,
  },
  {
    wrong: "live push's failed alarm is removed",
    alarms: alarmRemoved('WsBroadcastFailed'),
    breaks: 'failed-alarm-per-consumer',
    names: /^ws-broadcast has no EventsFailed alarm/,
  },
];
