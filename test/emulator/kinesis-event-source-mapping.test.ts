import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StreamMappingDefinition } from '../../lib/topology.js';
import type { OnFailureRecord } from '../../local/event-source-mapping/kinesis-event.js';
import {
  type KinesisEventSourceMapping,
  startKinesisEventSourceMapping,
} from '../../local/event-source-mapping/kinesis-event-source-mapping.js';
import { FunctionError, fakeFunction } from './fixtures/fake-function.js';

const kinesalite = createRequire(import.meta.url)('kinesalite') as (options: {
  createStreamMs: number;
  deleteStreamMs: number;
  updateStreamMs: number;
  shardLimit: number;
}) => Server;

const REGION = 'us-east-1';
let server: Server;
let kinesis: KinesisClient;
const mappings: KinesisEventSourceMapping[] = [];

beforeAll(async () => {
  // One one-shard stream per test: more than kinesalite's default limit of 10 shards.
  server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  kinesis = new KinesisClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // kinesalite speaks HTTP/1.1 only.
    requestHandler: new NodeHttpHandler(),
  });
});

afterEach(async () => {
  await Promise.all(mappings.splice(0).map((mapping) => mapping.stop()));
});

afterAll(async () => {
  kinesis.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const mappingSettings = (overrides: Partial<StreamMappingDefinition> = {}): StreamMappingDefinition => ({
  functionId: 'indexer',
  batchSize: 10,
  maximumBatchingWindowInSeconds: 0,
  startingPosition: 'TRIM_HORIZON',
  maximumRetryAttempts: 1,
  maximumRecordAgeInSeconds: 3600,
  bisectBatchOnFunctionError: true,
  reportBatchItemFailures: true,
  parallelizationFactor: 1,
  ...overrides,
});

/** A fresh one-shard stream holding `names` as records (data = the name), in order. */
async function givenStreamWith(names: string[]): Promise<{ streamName: string; sequenceNumbers: string[] }> {
  const streamName = `test-${randomUUID()}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { streamName, sequenceNumbers: await put(streamName, names) };
}

async function put(streamName: string, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const output = await kinesis.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: names.map((name) => ({ Data: Buffer.from(name), PartitionKey: 'account-1' })),
    }),
  );
  return (output.Records ?? []).map((record) => record.SequenceNumber ?? '');
}

const namesIn = (event: unknown) =>
  (event as KinesisStreamEvent).Records.map((record) =>
    Buffer.from(record.kinesis.data, 'base64').toString(),
  );

function start(
  streamName: string,
  handler: (event: KinesisStreamEvent) => unknown,
  mapping = mappingSettings(),
  shardDiscoveryIntervalMs?: number,
) {
  const fn = fakeFunction('indexer', (event) => handler(event as KinesisStreamEvent));
  const failures: OnFailureRecord[] = [];
  const logs: string[] = [];
  const esm = startKinesisEventSourceMapping({
    kinesis,
    streamName,
    streamArn: `arn:aws:kinesis:${REGION}:000000000000:stream/${streamName}`,
    mapping,
    fn,
    onFailure: async (record) => {
      failures.push(record);
    },
    log: (line) => logs.push(line),
    region: REGION,
    pollIntervalMs: 10,
    retryDelayMs: () => 5,
    ...(shardDiscoveryIntervalMs !== undefined ? { shardDiscoveryIntervalMs } : {}),
  });
  mappings.push(esm);
  return { esm, fn, failures, logs };
}

async function eventually(assertion: () => void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe('startKinesisEventSourceMapping against kinesalite', () => {
  it('delivers a KinesisStreamEvent Lambda would send', async () => {
    // Prepare
    const { streamName, sequenceNumbers } = await givenStreamWith(['a']);

    // Act
    const { fn } = start(streamName, () => ({ batchItemFailures: [] }));

    // Assess
    await eventually(() => expect(fn.events).toHaveLength(1));
    const [record] = (fn.events[0] as KinesisStreamEvent).Records;
    expect(record).toMatchObject({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'account-1',
        sequenceNumber: sequenceNumbers[0],
        data: Buffer.from('a').toString('base64'),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${sequenceNumbers[0]}`,
      eventName: 'aws:kinesis:record',
      awsRegion: REGION,
      eventSourceARN: `arn:aws:kinesis:${REGION}:000000000000:stream/${streamName}`,
    });
    expect(record?.kinesis.approximateArrivalTimestamp).toBeCloseTo(Date.now() / 1000, -1);
  });

  it('redelivers from the lowest reported failure, then moves on', async () => {
    // Prepare
    const { streamName, sequenceNumbers } = await givenStreamWith(['r1', 'r2', 'r3', 'r4', 'r5']);
    let calls = 0;

    // Act
    const { fn, esm, failures } = start(streamName, () => {
      calls += 1;
      return calls === 1
        ? {
            batchItemFailures: [
              { itemIdentifier: sequenceNumbers[3] },
              { itemIdentifier: sequenceNumbers[2] },
            ],
          }
        : { batchItemFailures: [] };
    });

    // Assess
    await eventually(() => expect(fn.events).toHaveLength(2));
    expect(fn.events.map(namesIn)).toEqual([
      ['r1', 'r2', 'r3', 'r4', 'r5'],
      ['r3', 'r4', 'r5'],
    ]);
    await eventually(() => expect(esm.stats().shards[0]?.checkpoint).toBe(sequenceNumbers[4]));
    expect(failures).toEqual([]);
  });

  it('bisects on a function error, sends the poison record to the on-failure destination and goes on', async () => {
    // Prepare
    const { streamName, sequenceNumbers } = await givenStreamWith(['ok1', 'poison', 'ok3', 'ok4']);

    // Act
    const { fn, esm, failures } = start(streamName, (event) => {
      if (namesIn(event).includes('poison')) throw new FunctionError('MappingError', 'cannot index');
      return null;
    });
    await esm.ready;
    await eventually(() => expect(failures).toHaveLength(1));
    await put(streamName, ['later']);

    // Assess
    await eventually(() => expect(fn.events.map(namesIn).at(-1)).toEqual(['later']));
    expect(fn.events.map(namesIn)).toEqual([
      ['ok1', 'poison', 'ok3', 'ok4'],
      ['ok1', 'poison'],
      ['ok1'],
      ['poison'],
      ['poison'],
      ['ok3', 'ok4'],
      ['later'],
    ]);
    expect(failures[0]).toMatchObject({
      requestContext: {
        functionArn: `arn:aws:lambda:${REGION}:000000000000:function:indexer`,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 4,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: sequenceNumbers[1],
        endSequenceNumber: sequenceNumbers[1],
        batchSize: 1,
        streamArn: `arn:aws:kinesis:${REGION}:000000000000:stream/${streamName}`,
      },
    });
    expect(esm.stats()).toMatchObject({
      bisections: 2,
      retries: 1,
      discardedBatches: 1,
      discardedRecords: 1,
    });
  });

  it('discards the whole failed tail when retries of a partial failure are exhausted', async () => {
    // Prepare
    const { streamName, sequenceNumbers } = await givenStreamWith(['a', 'b', 'c']);

    // Act
    const { fn, failures } = start(
      streamName,
      () => ({ batchItemFailures: [{ itemIdentifier: sequenceNumbers[1] }] }),
      mappingSettings({ maximumRetryAttempts: 0 }),
    );

    // Assess
    await eventually(() => expect(failures).toHaveLength(1));
    expect(fn.events.map(namesIn)).toEqual([['a', 'b', 'c']]);
    expect(failures[0]?.responseContext.functionError).toBeUndefined();
    expect(failures[0]?.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: sequenceNumbers[1],
      endSequenceNumber: sequenceNumbers[2],
      batchSize: 2,
    });
  });

  it('reads only new records from LATEST, in batches of at most BatchSize', async () => {
    // Prepare
    const { streamName } = await givenStreamWith(['old']);
    const { fn, esm } = start(
      streamName,
      () => null,
      mappingSettings({ startingPosition: 'LATEST', batchSize: 2 }),
    );
    await esm.ready;

    // Act
    await put(streamName, ['n1', 'n2', 'n3']);

    // Assess
    await eventually(() => expect(fn.events.flatMap(namesIn)).toEqual(['n1', 'n2', 'n3']));
    expect(fn.events.map(namesIn)[0]).toEqual(['n1', 'n2']);
  });

  it('never invokes with more than the 6 MB payload limit, whatever BatchSize says', async () => {
    // Prepare: nine records of 900 KB (1.2 MB each in base64), put four at a time (PutRecords takes 5 MB).
    const big = (index: number) => `${index}`.padEnd(900 * 1024, 'x');
    const { streamName } = await givenStreamWith([]);
    for (const first of [0, 4, 8]) {
      await put(streamName, [first, first + 1, first + 2, first + 3].filter((index) => index < 9).map(big));
    }

    // Act
    const { fn } = start(streamName, () => null, mappingSettings({ batchSize: 10 }));

    // Assess: every record delivered once, in order, in invocations of at most 6 MB.
    await eventually(() => expect(fn.events.flatMap(namesIn)).toHaveLength(9), 15_000);
    expect(fn.events.flatMap(namesIn).map((name) => Number.parseInt(name, 10))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    expect(fn.events.length).toBeGreaterThan(1);
    for (const event of fn.events) {
      expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(6 * 1024 * 1024);
    }
  });

  it('gathers records for MaximumBatchingWindowInSeconds before invoking', async () => {
    // Prepare
    const { streamName } = await givenStreamWith([]);
    const { fn, esm } = start(
      streamName,
      () => null,
      mappingSettings({ maximumBatchingWindowInSeconds: 0.4 }),
    );
    await esm.ready;

    // Act
    await put(streamName, ['first']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await put(streamName, ['second']);

    // Assess
    await eventually(() => expect(fn.events).toHaveLength(1));
    expect(fn.events.map(namesIn)).toEqual([['first', 'second']]);
  });

  it('stops without leaving a batch in flight', async () => {
    // Prepare
    const { streamName } = await givenStreamWith(['a']);
    const { fn, esm } = start(streamName, () => new Promise(() => undefined));
    await eventually(() => expect(fn.events).toHaveLength(1));

    // Act
    const stopping = esm.stop();

    // Assess
    await expect(stopping).resolves.toBeUndefined();
  });

  it.each([
    ['reports every record failed', 'partial'],
    ['throws', 'error'],
  ] as const)(
    'waits out an outage in which the function %s, with MaximumRetryAttempts -1, and discards nothing',
    async (_label, failure) => {
      // Prepare
      const { streamName, sequenceNumbers } = await givenStreamWith(['e1', 'e2', 'e3', 'e4', 'e5']);
      const outageEndsAt = Date.now() + 1500;
      const succeeded: string[] = [];
      let ageDuringOutage = 0;

      // Act
      const { esm, failures } = start(
        streamName,
        (event) => {
          const records = (event as KinesisStreamEvent).Records;
          if (Date.now() < outageEndsAt) {
            ageDuringOutage = Math.max(ageDuringOutage, esm.stats().iteratorAgeMs);
            if (failure === 'error') throw new FunctionError('ConnectionError', 'connect ECONNREFUSED');
            return {
              batchItemFailures: records.map((record) => ({ itemIdentifier: record.kinesis.sequenceNumber })),
            };
          }
          succeeded.push(...namesIn(event));
          return { batchItemFailures: [] };
        },
        mappingSettings({ maximumRetryAttempts: -1, maximumRecordAgeInSeconds: 6 * 24 * 3600 }),
      );

      // Assess
      await eventually(() => expect(esm.stats().shards[0]?.checkpoint).toBe(sequenceNumbers[4]), 10_000);
      expect(succeeded).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
      expect(failures).toEqual([]);
      const stats = esm.stats();
      expect(stats).toMatchObject({ discardedBatches: 0, discardedRecords: 0, iteratorAgeMs: 0 });
      expect(stats.retries).toBeGreaterThan(10);
      expect(ageDuringOutage).toBeGreaterThan(500);
    },
  );

  it('shows per shard the checkpoint, the iterator age and what is in flight', async () => {
    // Prepare
    const { streamName, sequenceNumbers } = await givenStreamWith(['a', 'b']);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });

    // Act
    const { esm } = start(streamName, () => held.then(() => null));
    await eventually(() => expect(esm.stats().shards[0]?.inFlightRecords).toBe(2));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const whileHeld = esm.stats();
    release();

    // Assess
    expect(whileHeld.shards[0]).toMatchObject({ shardId: 'shardId-000000000000', inFlightRecords: 2 });
    expect(whileHeld.shards[0]?.checkpoint).toBeUndefined();
    expect(whileHeld.iteratorAgeMs).toBeGreaterThanOrEqual(200);
    await eventually(() =>
      expect(esm.stats().shards[0]).toMatchObject({
        checkpoint: sequenceNumbers[1],
        inFlightRecords: 0,
        iteratorAgeMs: 0,
        millisBehindLatest: 0,
      }),
    );
  });

  it('reads a shard that is split, and then merged, while records flow: parents to their end before their children, each record once, each key in order', async () => {
    // Prepare: eight partition keys, so both children of the split get records
    const { streamName } = await givenStreamWith([]);
    const keys = Array.from({ length: 8 }, (_, index) => `account-${index}`);
    const sent: string[] = [];
    const putRound = async (round: string) => {
      const names = keys.flatMap((key) => [1, 2, 3].map((n) => `${key}|${round}${n}`));
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records: names.map((name) => ({ Data: Buffer.from(name), PartitionKey: name.split('|')[0] })),
        }),
      );
      sent.push(...names);
    };
    const untilActive = async () => {
      for (;;) {
        const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
        if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const invocations: { shardId: string; names: string[] }[] = [];
    const { esm } = start(
      streamName,
      (event) => {
        const shardId = event.Records[0]?.eventID.split(':')[0] ?? '';
        invocations.push({ shardId, names: namesIn(event) });
        return { batchItemFailures: [] };
      },
      mappingSettings({ batchSize: 5 }),
      50,
    );
    await esm.ready;

    // Act: records before the split, between the split and the merge, and after the merge
    await putRound('a');
    await kinesis.send(
      new SplitShardCommand({
        StreamName: streamName,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await putRound('b');
    await untilActive();
    await putRound('c');
    await kinesis.send(
      new MergeShardsCommand({
        StreamName: streamName,
        ShardToMerge: 'shardId-000000000001',
        AdjacentShardToMerge: 'shardId-000000000002',
      }),
    );
    await putRound('d');
    await untilActive();
    await putRound('e');

    // Assess: every record exactly once, each key's records in the order they were put
    await eventually(
      () => expect(invocations.flatMap((call) => call.names)).toHaveLength(sent.length),
      15_000,
    );
    const delivered = invocations.flatMap((call) => call.names);
    expect([...delivered].sort()).toEqual([...sent].sort());
    for (const key of keys) {
      const ofKey = (names: string[]) => names.filter((name) => name.startsWith(`${key}|`));
      expect(ofKey(delivered)).toEqual(ofKey(sent));
    }
    // A child's first batch comes after its parents' last.
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    expect(Shards).toHaveLength(4);
    const first = (shardId: string) => invocations.findIndex((call) => call.shardId === shardId);
    const last = (shardId: string) => invocations.findLastIndex((call) => call.shardId === shardId);
    for (const shard of Shards) {
      for (const parent of [shard.ParentShardId, shard.AdjacentParentShardId]) {
        if (parent && first(shard.ShardId ?? '') >= 0) {
          expect(first(shard.ShardId ?? '')).toBeGreaterThan(last(parent));
        }
      }
    }
    expect(
      esm
        .stats()
        .shards.filter((shard) => shard.finished)
        .map((shard) => shard.shardId)
        .sort(),
    ).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
  });
});
