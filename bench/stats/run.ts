/**
 * `npm run bench:stats`: rollup summaries against PostgreSQL at 1e4, 1e5 and 1e6 events over 30 days.
 *
 * Loads each dataset through the real rollup writer core into DynamoDB Local and into PostgreSQL,
 * then times the summary of last_24h, last_7d, last_30d and all, rollup and PostgreSQL interleaved
 * (same run, same machine load), and checks the rollup's unique users and top-10 lists against the
 * exact answer. Writes `bench/results/stats-<time>.json` and prints a table.
 *
 * Options: `--sizes=10000,100000,1000000 --iterations=30 --shards=1`.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_MAX_FUTURE_MS } from '../../lambdas/shared/event-limits.js';
import { RollupStateCache } from '../../lambdas/stats/rollup-cache.js';
import { HLL_ERROR_BOUND } from '../../lambdas/stats/sketches/hyperloglog.js';
import { summarize } from '../../lambdas/stats/summary-core.js';
import type { ServiceHandle } from '../../local/services/service-handle.js';
import { numberOption, option } from '../shared/options.js';
import { type Dataset, generateDataset, SPAN_MS } from './dataset.js';
import { type LoadResult, loadRollups } from './load-rollups.js';
import { measure, type Subject } from './measure.js';
import { createSchema, indexAndAnalyze, loadPostgres, pgSummary } from './postgres-model.js';
import { printTable } from './report.js';
import { DYNAMO_CONFIG, startDynamoDb, startPostgres } from './servers.js';
import { surveyStorage } from './storage.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const WINDOWS = ['last_24h', 'last_7d', 'last_30d', 'all'] as const;
const sizes = option('sizes', '10000,100000,1000000').split(',').map(Number);
const iterations = numberOption('iterations', 30);
const shards = numberOption('shards', 1);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-stats-'));
  // PostgreSQL runs as its own user when the bench runs as root: it must be able to reach its folder.
  chmodSync(dir, 0o711);
  const handles: ServiceHandle[] = [];
  const end = Date.now();
  console.log(`bench:stats sizes=${sizes.join(',')} iterations=${iterations} shards=${shards} (temp ${dir})`);
  try {
    const [dynamo, postgres] = await Promise.all([
      startDynamoDb(join(dir, 'dynamodb')),
      startPostgres(join(dir, 'postgres')),
    ]);
    handles.push(dynamo.handle, postgres.handle);
    const documents = DynamoDBDocumentClient.from(dynamo.client);
    await createSchema(postgres.client);
    console.log(`DynamoDB Local and PostgreSQL ${postgres.version} up`);

    const datasets: Dataset[] = [];
    const loads: Record<number, { rollups: LoadResult; postgresSeconds: number; storage: unknown }> = {};
    for (const size of sizes) {
      const dataset = generateDataset(`bench-${size}`, size, end, size);
      datasets.push(dataset);
      console.log(`loading ${size} events through the rollup writer core…`);
      // A client of its own per load: the capacity meter is a middleware of the client it measures.
      const loader = DynamoDBDocumentClient.from(
        new DynamoDBClient({ ...DYNAMO_CONFIG, endpoint: dynamo.handle.url }),
      );
      const rollups = await loadRollups(dataset.events, {
        dynamo: loader,
        tableName: 'rollups',
        shards,
        progress: console.log,
      });
      const postgresSeconds = await loadPostgres(postgres.client, dataset.events);
      const storage = await surveyStorage(documents, dataset.accountId, shards, end - SPAN_MS, end);
      loads[size] = { rollups, postgresSeconds, storage };
      console.log(
        `  rollups ${rollups.seconds.toFixed(1)} s (${rollups.eventsPerSecond} events/s, ${rollups.writeUnitsPerEvent.toFixed(2)} WCU + ${rollups.readUnitsPerEvent.toFixed(2)} RCU per event), PostgreSQL ${postgresSeconds.toFixed(1)} s`,
      );
      for (const [granularity, stored] of Object.entries(storage)) {
        console.log(
          `  ${granularity}: ${stored.items} sub-items, average ${stored.averageBytes} B, largest ${stored.maxBytes} B`,
        );
      }
    }
    await indexAndAnalyze(postgres.client);

    // Cold: every sub-item read and decoded on every request. Warm: the stats function's cache of
    // decoded sub-items, used only where a read of the item's version matches (never stale).
    const cold = {
      dynamo: documents,
      tableName: 'rollups',
      maxFutureMs: DEFAULT_MAX_FUTURE_MS,
      now: () => Date.now(),
    };
    const warm = { ...cold, cache: new RollupStateCache() };
    const subjects: Subject[] = WINDOWS.flatMap((window) =>
      datasets.map((dataset) => ({
        window,
        dataset,
        warm: () => summarize(dataset.accountId, { window }, warm),
        cold: () => summarize(dataset.accountId, { window }, cold),
        sql: (from: string) => pgSummary(postgres.client, dataset.accountId, from),
      })),
    );
    console.log(`timing ${subjects.length} summaries x ${iterations} rounds, interleaved…`);
    const rows = await measure(subjects, iterations);
    const report = printTable(rows, sizes, HLL_ERROR_BOUND);
    mkdirSync(join(import.meta.dirname, '../results'), { recursive: true });
    const file = join(
      import.meta.dirname,
      '../results',
      `stats-${new Date(end).toISOString().replace(/[:.]/g, '-')}.json`,
    );
    writeFileSync(
      file,
      `${JSON.stringify({ at: new Date(end).toISOString(), sizes, iterations, shards, postgres: postgres.version, loads, rows, ...report }, null, 2)}\n`,
    );
    console.log(`\nwritten ${file}`);
    await postgres.client.end();
  } finally {
    for (const handle of handles.reverse()) await handle.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
