/**
 * The design rules are not echoes: each one FAILS when the stack breaks it. A topology (or construct)
 * is deliberately made wrong with vi.doMock, the stack is synthesized from it, and the rule must name
 * the broken resource. Rules about settings no topology entry controls (encryption, runtime, grants)
 * are shown the same way on an edited copy of the shared template.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as AlarmsModule from '../../lib/constructs/pipeline-alarms.js';
import type * as TopologyModule from '../../lib/topology.js';
import type { FunctionId, StreamMappingDefinition } from '../../lib/topology.js';
import { pipeline } from './pipeline.js';
import type { Resource, Subject } from './rules/facts.js';
import { DESIGN_RULES, violations } from './rules/index.js';

type Topology = typeof TopologyModule;
const TOPOLOGY = '../../lib/topology.js';
const ALARMS = '../../lib/constructs/pipeline-alarms.js';

/** Synthesizes the real stack with `lib/topology.ts` (and optionally the alarms construct) replaced. */
async function synthesizeWith(mocks: {
  topology?: (t: Topology) => Partial<Topology>;
  alarms?: (m: typeof AlarmsModule) => Partial<typeof AlarmsModule>;
}): Promise<Subject> {
  vi.resetModules();
  const { topology, alarms } = mocks;
  if (topology) {
    vi.doMock(TOPOLOGY, async (importOriginal) => {
      const original = await importOriginal<Topology>();
      return { ...original, ...topology(original) };
    });
  }
  if (alarms) {
    vi.doMock(ALARMS, async (importOriginal) => {
      const original = await importOriginal<typeof AlarmsModule>();
      return { ...original, ...alarms(original) };
    });
  }
  const { synthPipeline, pipelineIds } = await import('./synth.js');
  const { stack, template } = synthPipeline();
  return { template, ids: pipelineIds(stack) };
}

afterEach(() => {
  vi.doUnmock(TOPOLOGY);
  vi.doUnmock(ALARMS);
});

/** The topology's mappings with one consumer's settings changed. */
const mappingChanged =
  (functionId: FunctionId, change: Partial<StreamMappingDefinition> | Record<string, unknown>) =>
  (t: Topology): Partial<Topology> => ({
    STREAM_MAPPINGS: t.STREAM_MAPPINGS.map((m) => (m.functionId === functionId ? { ...m, ...change } : m)),
  });

/** The alarms construct with one of its alarms removed after it is built. */
const alarmRemoved =
  (alarmId: string) =>
  (m: typeof AlarmsModule): Partial<typeof AlarmsModule> => ({
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

interface Mutation {
  wrong: string;
  /** The rule that must report it, and what its report must name. */
  breaks: string;
  names: RegExp;
}

const SYNTHESIZED: (Mutation & Parameters<typeof synthesizeWith>[0])[] = [
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
    wrong: "the indexer's iterator-age alarm is removed",
    alarms: alarmRemoved('IndexerIteratorAge'),
    breaks: 'iterator-age-alarm-per-mapping',
    names: /^indexer mapping has no iterator-age alarm/,
  },
];

/** A copy of the shared dev-sized template with one wrong edit. */
function edited(edit: (resources: Record<string, Resource>, subject: Subject) => void): Subject {
  const shared = pipeline();
  const json = structuredClone(shared.template.toJSON());
  edit(json.Resources, shared);
  return { template: Template.fromJSON(json), ids: shared.ids };
}

const EDITED: (Mutation & { edit: Parameters<typeof edited>[0] })[] = [
  {
    wrong: 'the stream is unencrypted',
    edit: (r, { ids }) => delete r[ids.stream]?.Properties.StreamEncryption,
    breaks: 'stream-encrypted',
    names: /not KMS-encrypted/,
  },
  {
    wrong: 'the API keys table has no point-in-time recovery',
    edit: (r, { ids }) => delete r[ids.tables.apiKeys]?.Properties.PointInTimeRecoverySpecification,
    breaks: 'tables-protected',
    names: /^apiKeys table has no point-in-time recovery/,
  },
  {
    wrong: 'the alarm topic key does not rotate',
    edit: (r) => {
      for (const key of Object.values(r).filter((x) => x.Type === 'AWS::KMS::Key'))
        key.Properties.EnableKeyRotation = false;
    },
    breaks: 'kms-keys-rotated',
    names: /does not rotate/,
  },
  {
    wrong: 'the ingest log group never expires',
    edit: (r, { ids }) => delete r[ids.functions.ingest.logGroup]?.Properties.RetentionInDays,
    breaks: 'logs-expire',
    names: new RegExp(pipeline().ids.functions.ingest.logGroup),
  },
  {
    wrong: 'the WebSocket access log records the query string (where $connect carries the key)',
    edit: (r, { ids }) => {
      const stage = Object.values(r).find(
        (x) => x.Type === 'AWS::ApiGatewayV2::Stage' && JSON.stringify(x).includes(ids.webSocketApi),
      );
      if (stage) stage.Properties.AccessLogSettings.Format = '{"query":"$request.querystring.key"}';
    },
    breaks: 'keys-never-logged',
    names: /logs a key-bearing field/,
  },
  {
    wrong: 'the indexer runs Node.js 20 on x86_64',
    edit: (r, { ids }) => {
      const fn = r[ids.functions.indexer.function];
      if (fn) Object.assign(fn.Properties, { Runtime: 'nodejs20.x', Architectures: ['x86_64'] });
    },
    breaks: 'house-function',
    names: /^indexer (runs nodejs20.x|is not arm64)/,
  },
  {
    wrong: 'stats-api is granted the rollups table without being named it',
    edit: (r, { ids }) =>
      delete r[ids.functions['stats-api'].function]?.Properties.Environment.Variables.ROLLUPS_TABLE_NAME,
    breaks: 'grants-carry-names',
    names: /^stats-api may .* on the rollups table without being named it/,
  },
  {
    wrong: 'ingest may do anything to DynamoDB anywhere',
    edit: (r, { ids }) => {
      r.WideOpen = {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: ids.functions.ingest.role }],
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] },
        },
      };
    },
    breaks: 'least-privilege',
    names: /^ingest may dynamodb:\* on "\*"/,
  },
  {
    wrong: "live push's iterator-age alarm fires only at an hour (its records are discarded at 5 min)",
    edit: (r, { ids }) => {
      const alarm = Object.values(r).find(
        (x) =>
          x.Properties?.MetricName === 'IteratorAge' &&
          JSON.stringify(x).includes(ids.functions['ws-broadcast'].function),
      );
      if (alarm) alarm.Properties.Threshold = 3_600_000;
    },
    breaks: 'iterator-age-alarm-per-mapping',
    names: /^ws-broadcast iterator-age alarm fires too late/,
  },
  {
    wrong: 'the REST 5xx alarm is removed',
    edit: (r) => {
      for (const [id, x] of Object.entries(r)) if (x.Properties?.MetricName === '5XXError') delete r[id];
    },
    breaks: 'rest-api-5xx-alarm',
    names: /no 5XXError alarm on the REST API/,
  },
  {
    wrong: 'the indexer mapping starts before the index template',
    edit: (r, subject) => {
      const mapping = Object.values(r).find(
        (x) =>
          x.Type === 'AWS::Lambda::EventSourceMapping' &&
          JSON.stringify(x).includes(subject.ids.functions.indexer.function),
      );
      if (mapping) mapping.DependsOn = [];
    },
    breaks: 'search-consumers-after-index-template',
    names: /^indexer mapping: writes OpenSearch but does not wait/,
  },
  {
    wrong: 'the rollup writer mapping has no on-failure destination',
    edit: (r, subject) => {
      const mapping = Object.values(r).find(
        (x) =>
          x.Type === 'AWS::Lambda::EventSourceMapping' &&
          JSON.stringify(x).includes(subject.ids.functions['rollup-writer'].function),
      );
      if (mapping) delete mapping.Properties.DestinationConfig;
    },
    breaks: 'on-failure-to-dead-letter-queue',
    names: /^rollup-writer mapping: on-failure destination is not the dead-letter queue/,
  },
];

describe('a wrong topology or construct breaks the rule it violates', () => {
  it.each(SYNTHESIZED.map((m) => [m.wrong, m] as const))('%s', async (_wrong, mutation) => {
    const found = violations(await synthesizeWith(mutation));
    expect(found[mutation.breaks], `violations found: ${JSON.stringify(found, null, 1)}`).toEqual(
      expect.arrayContaining([expect.stringMatching(mutation.names)]),
    );
  });
});

describe('a wrong setting in the template breaks the rule it violates', () => {
  it.each(EDITED.map((m) => [m.wrong, m] as const))('%s', (_wrong, mutation) => {
    const found = violations(edited(mutation.edit));
    expect(found[mutation.breaks], `violations found: ${JSON.stringify(found, null, 1)}`).toEqual(
      expect.arrayContaining([expect.stringMatching(mutation.names)]),
    );
  });
});

it('proves every design rule can fail', () => {
  const proven = new Set([...SYNTHESIZED, ...EDITED].map((m) => m.breaks));
  expect(DESIGN_RULES.map((rule) => rule.id).filter((id) => !proven.has(id))).toEqual([]);
});
