/**
 * Supervision against a real server process: kinesalite in its own process with its LevelDB folder,
 * killed with SIGKILL while an event source mapping reads it. The supervisor restarts it on the same port
 * and data; the mapping resumes after its checkpoint, so every record reaches the function exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type KinesisEventSourceMapping,
  startKinesisEventSourceMapping,
} from '../../local/event-source-mapping/kinesis-event-source-mapping.js';
import { isAlive } from '../../local/process-alive.js';
import { startKinesalite } from '../../local/services/kinesalite.js';
import { localKinesis } from '../../local/services/local-clients.js';
import { freePort } from '../../local/services/ports.js';
import { type SupervisedService, superviseService } from '../../local/services/supervisor.js';
import { fakeFunction } from './fixtures/fake-function.js';

let dataDir: string;
let service: SupervisedService | undefined;
let mapping: KinesisEventSourceMapping | undefined;
let supervision: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'supervision-test-'));
});

afterEach(async () => {
  await mapping?.stop();
  await service?.stop();
  mapping = undefined;
  service = undefined;
  supervision = [];
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function givenSupervisedKinesalite(): Promise<SupervisedService> {
  const port = await freePort();
  const folder = join(dataDir, `kinesalite-${port}`);
  service = await superviseService({
    name: 'kinesalite',
    start: (restart) => startKinesalite({ port, dataDir: folder, keepData: restart }),
    log: (line) => supervision.push(line),
  });
  return service;
}

async function eventually(assertion: () => void | Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Puts `names` in order, retrying (as a producer would) while the server is down. */
async function putAll(url: string, streamName: string, names: string[]): Promise<void> {
  const kinesis = localKinesis(url, { maxAttempts: 1 });
  try {
    for (const name of names) {
      for (;;) {
        try {
          await kinesis.send(
            new PutRecordsCommand({
              StreamName: streamName,
              Records: [{ Data: Buffer.from(name), PartitionKey: 'k' }],
            }),
          );
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
  } finally {
    kinesis.destroy();
  }
}

describe('a supervised server', () => {
  it('is restarted on the same port after a SIGKILL, and the log says so', async () => {
    // Prepare
    const kinesalite = await givenSupervisedKinesalite();
    const firstPid = kinesalite.pid();

    // Act
    kinesalite.signal('SIGKILL');
    await eventually(() => expect(kinesalite.state()).toBe('restarting'));
    await kinesalite.whenRunning();

    // Assess
    expect(kinesalite.pid()).not.toBe(firstPid);
    expect(firstPid !== undefined && isAlive(firstPid)).toBe(false);
    expect(kinesalite.starts()).toBe(2);
    expect(supervision[0]).toBe('kinesalite exited (signal SIGKILL); restarting (attempt 2)');
    expect(supervision[1]).toMatch(/^kinesalite back after \d+\.\d s$/);
  });

  it('is not restarted when stopped on purpose, and leaves no process behind', async () => {
    // Prepare
    const kinesalite = await givenSupervisedKinesalite();
    const pid = kinesalite.pid();

    // Act
    await kinesalite.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(pid !== undefined && isAlive(pid)).toBe(false);
    expect(kinesalite.state()).toBe('stopped');
    expect(supervision).toEqual([]);
  });

  it('keeps its stream, and the mapping its checkpoint: records before, during and after arrive once each', async () => {
    // Prepare
    const kinesalite = await givenSupervisedKinesalite();
    const streamName = 'events';
    const kinesis = localKinesis(kinesalite.url, { maxAttempts: 3 });
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    await eventually(async () => {
      const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      expect(summary.StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
    });
    kinesis.destroy();
    const delivered: string[] = [];
    const fn = fakeFunction('indexer', (event) => {
      for (const record of (event as KinesisStreamEvent).Records) {
        delivered.push(Buffer.from(record.kinesis.data, 'base64').toString());
      }
      return { batchItemFailures: [] };
    });
    const mappingLog: string[] = [];
    const reader = localKinesis(kinesalite.url, { maxAttempts: 1 });
    mapping = startKinesisEventSourceMapping({
      kinesis: reader,
      streamName,
      streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`,
      mapping: {
        functionId: 'indexer',
        batchSize: 10,
        maximumBatchingWindowInSeconds: 0,
        startingPosition: 'TRIM_HORIZON',
        maximumRetryAttempts: -1,
        maximumRecordAgeInSeconds: -1,
        bisectBatchOnFunctionError: true,
        reportBatchItemFailures: true,
        parallelizationFactor: 1,
      },
      fn,
      onFailure: async () => undefined,
      log: (line) => mappingLog.push(line),
      region: 'us-east-1',
      pollIntervalMs: 20,
    });
    await mapping.ready;
    const before = ['b1', 'b2', 'b3'];
    const during = ['d1', 'd2'];
    const after = ['a1', 'a2', 'a3'];
    await putAll(kinesalite.url, streamName, before);
    await eventually(() => expect(delivered).toEqual(before));

    // Act
    kinesalite.signal('SIGKILL');
    await putAll(kinesalite.url, streamName, during);
    await kinesalite.whenRunning();
    await putAll(kinesalite.url, streamName, after);

    // Assess
    await eventually(() => expect(delivered).toHaveLength(8));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(delivered).toEqual([...before, ...during, ...after]);
    expect(mapping.stats()).toMatchObject({ discardedBatches: 0 });
    expect(mappingLog.some((line) => line.includes('works again'))).toBe(true);
    reader.destroy();
  });
});
