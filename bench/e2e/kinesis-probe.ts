/**
 * What kinesalite alone answers: the same 500-record PutRecords the ingest function sends, by the same
 * number of concurrent clients, into a stream of its own (no mapping reads it), with nothing else of
 * the pipeline running. Every POST waits for its PutRecords, so this latency is a floor under the
 * pipeline's HTTP latency on this machine: if its p50 is over the target, the emulator caps the target.
 */
import { CreateStreamCommand, DeleteStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { EVENT_STREAM } from '../../lib/topology.js';
import { localKinesis } from '../../local/services/local-clients.js';
import { latencySummary } from './pipeline-round.js';

export interface KinesisProbe {
  /** Latency of one PutRecords of a body's events. */
  putRecordsMs: { p50: number; p99: number; max: number };
  recordsPerSecond: number;
  clients: number;
  shards: number;
}

/** The records ingest writes for a body: one per event, its JSON as data, keyed by account and event. */
function recordsOf(body: string, accountId: string) {
  return (JSON.parse(body) as { events: { event_id: string }[] }).events.map((event) => ({
    Data: Buffer.from(JSON.stringify({ ...event, account_id: accountId })),
    PartitionKey: `${accountId}:${event.event_id}`,
  }));
}

/** Puts every body's events once through `clients` concurrent clients; rejects on any failed record. */
export async function probeKinesis(
  kinesisUrl: string,
  bodies: string[],
  clients: number,
  accountId = 'acct_probe',
): Promise<KinesisProbe> {
  const kinesis = localKinesis(kinesisUrl, { maxAttempts: 3 });
  const streamName = `bench-probe-${process.pid}`;
  const shards = EVENT_STREAM.shardCount;
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  try {
    const batches = bodies.map((body) => recordsOf(body, accountId));
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < batches.length) {
          const records = batches[next] ?? [];
          next += 1;
          const sent = performance.now();
          const answer = await kinesis.send(
            new PutRecordsCommand({ StreamName: streamName, Records: records }),
          );
          if (answer.FailedRecordCount)
            throw new Error(`kinesalite refused ${answer.FailedRecordCount} records`);
          latencies.push(performance.now() - sent);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const records = batches.reduce((sum, batch) => sum + batch.length, 0);
    return { putRecordsMs: latencySummary(latencies), recordsPerSecond: records / seconds, clients, shards };
  } finally {
    await kinesis.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => undefined);
    kinesis.destroy();
  }
}
