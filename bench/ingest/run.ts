/**
 * `npm run bench:ingest`: the ingest handler's events/s for 500-event batches of ~500-byte events,
 * divided by the `JSON.parse`+`JSON.stringify` floor of the same bodies, interleaved in one run (min
 * and median of the rounds); beside them the write floor (`writeFloor`: parse, stringify and PutRecords
 * through the functions' Kinesis client, nothing else), which shows how much of the gap is the write
 * itself; and every function's bundle size and cold module load time against an
 * empty module. Writes `bench/results/ingest-<time>.json`. Targets (issue 8): ratio >= 0.5, every
 * bundle <= 300 KB and <= 100 ms above the empty module.
 *
 * Options: `--rounds=7 --bodies=20 --load-rounds=5`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kinesisClient } from '../../lambdas/shared/kinesis-client.js';
import { BUNDLE_LIMIT_BYTES } from '../../lib/topology.js';
import { numberOption } from '../shared/options.js';
import { interleaved, median, type Timing, writeResult } from '../shared/rounds.js';
import { benchBodies } from './bodies.js';
import { measureBundles, PLACEHOLDER_RESOURCES } from './bundles.js';
import {
  base64Bodies,
  floor,
  loadIngestHandler,
  postAll,
  proxyEvent,
  writeFloor,
} from './handler-throughput.js';
import { startKinesisStub } from './kinesis-stub.js';

const rounds = numberOption('rounds', 7);
const bodyCount = numberOption('bodies', 20);
const loadRounds = numberOption('load-rounds', 5);
const EVENTS_PER_BODY = 500;
const LOAD_LIMIT_MS = 100;

async function main(): Promise<void> {
  const at = new Date();
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const stub = await startKinesisStub();
  try {
    console.log(
      `bench:ingest rounds=${rounds} bodies=${bodyCount}x${EVENTS_PER_BODY} load-rounds=${loadRounds}`,
    );
    const bundles = await measureBundles(dir, loadRounds);
    const bodies = benchBodies(bodyCount, EVENTS_PER_BODY);
    const bytes = bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0);
    const events = bodyCount * EVENTS_PER_BODY;
    console.log(
      `bodies: ${(bytes / bodyCount / 1024).toFixed(0)} KB each, ${(bytes / events).toFixed(0)} B per event`,
    );
    const handler = loadIngestHandler(bundles.files.ingest as string, {
      ...PLACEHOLDER_RESOURCES,
      kinesisUrl: stub.url,
      // The stub admits every request too: the admission check's cost (one signed UpdateItem) is timed.
      dynamodbUrl: stub.url,
    });
    const encoded = base64Bodies(bodies);
    // The functions' client, built from the same modules, with the environment the handler was loaded with.
    const kinesis = kinesisClient();
    // Fresh event objects every round: nothing cached between rounds but what Lambda would keep warm.
    const samples = await interleaved(
      {
        handler: () => postAll(handler, encoded.map(proxyEvent), EVENTS_PER_BODY),
        floor: () => {
          floor(bodies);
        },
        writeFloor: () => writeFloor(bodies, kinesis, 'bench-stream'),
      },
      rounds,
      2,
      (round, t) =>
        console.log(
          `round ${round + 1}: handler ${t.handler.ms.toFixed(0)} ms (CPU ${t.handler.cpuMs.toFixed(0)}), floor ${t.floor.ms.toFixed(0)} ms (CPU ${t.floor.cpuMs.toFixed(0)}), ratio ${(t.floor.ms / t.handler.ms).toFixed(2)} (CPU ${(t.floor.cpuMs / t.handler.cpuMs).toFixed(2)}); write floor ${t.writeFloor.ms.toFixed(0)} ms, ratio ${(t.floor.ms / t.writeFloor.ms).toFixed(2)}`,
        ),
    );
    const throughput = {
      events,
      bytes,
      wall: rates(samples, events),
      cpu: rates(samples, events, 'cpuMs'),
      recordsAcknowledged: stub.records(),
    };
    for (const [name, measured] of [
      ['wall clock', throughput.wall],
      ['CPU time', throughput.cpu],
    ] as const) {
      console.log(
        `\n${name}: handler ${measured.handler.median} events/s (best ${measured.handler.best}), floor ${measured.floor.median} (best ${measured.floor.best}); ratio median ${measured.ratio.median.toFixed(2)}, best/best ${measured.ratio.best.toFixed(2)}; handler ${measured.microsecondsPerEvent.toFixed(1)} µs per event`,
      );
      console.log(
        `  write floor (parse, stringify, PutRecords; no validation): ${measured.writeFloor.median} events/s (best ${measured.writeFloor.best}), ratio to the floor median ${measured.writeFloorRatio.median.toFixed(2)}, best/best ${measured.writeFloorRatio.best.toFixed(2)}: the most any handler writing through this client reaches`,
      );
    }
    console.log(
      `\n${'function'.padEnd(26)}${'bundle KB'.padStart(10)}${'load ms'.padStart(9)}${'above empty'.padStart(13)}`,
    );
    for (const row of bundles.rows) {
      console.log(
        `${row.id.padEnd(26)}${(row.bytes / 1024).toFixed(0).padStart(10)}${row.loadMs.toFixed(1).padStart(9)}${row.aboveEmptyMs.toFixed(1).padStart(13)}`,
      );
    }
    console.log(`(empty module: ${bundles.emptyMs.toFixed(2)} ms; median of ${loadRounds})`);
    const targets = {
      ratioAtLeastHalf: throughput.wall.ratio.median >= 0.5,
      cpuRatioAtLeastHalf: throughput.cpu.ratio.median >= 0.5,
      bundlesAtMost300KB: bundles.rows.every((row) => row.bytes <= BUNDLE_LIMIT_BYTES),
      loadAtMost100msAboveEmpty: bundles.rows.every((row) => row.aboveEmptyMs <= LOAD_LIMIT_MS),
    };
    console.log(`targets: ${JSON.stringify(targets)}`);
    const file = writeResult('ingest', at, {
      at: at.toISOString(),
      node: process.version,
      rounds,
      samplesMs: samples,
      throughput,
      bundles: { emptyModuleMs: bundles.emptyMs, rows: bundles.rows },
      targets,
    });
    console.log(`\nwritten ${file}`);
  } finally {
    await stub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Events per second of each subject (best and median round) and their ratio, by wall or CPU time. */
function rates(
  samples: Record<'handler' | 'floor' | 'writeFloor', Timing[]>,
  events: number,
  clock: keyof Timing = 'ms',
) {
  const handler = samples.handler.map((timing) => timing[clock]);
  const floorMs = samples.floor.map((timing) => timing[clock]);
  const writeMs = samples.writeFloor.map((timing) => timing[clock]);
  const perSecond = (ms: number) => Math.round(events / (ms / 1000));
  const ratio = (subject: number[]) => ({
    best: Math.min(...floorMs) / Math.min(...subject),
    median: median(floorMs) / median(subject),
  });
  return {
    handler: { best: perSecond(Math.min(...handler)), median: perSecond(median(handler)) },
    floor: { best: perSecond(Math.min(...floorMs)), median: perSecond(median(floorMs)) },
    writeFloor: { best: perSecond(Math.min(...writeMs)), median: perSecond(median(writeMs)) },
    ratio: ratio(handler),
    writeFloorRatio: ratio(writeMs),
    microsecondsPerEvent: (median(handler) * 1000) / events,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
