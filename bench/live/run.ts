/**
 * `npm run bench:live`: live push to 100 viewers, on the local stack and on a trivial in-process push
 * server (the floor), in one run. For each: POST-accepted -> frame-received latency p50/p99 over paced
 * single events (every viewer, every event), and fan-out frames/s over a burst of batches. Writes
 * `bench/results/live-<time>.json` and prints a table; exits non-zero when a target of issue 9 is missed
 * (p50 < 300 ms, p99 < 1 s on the local stack) or an event did not reach every viewer.
 *
 * Options: `--clients=100 --events=100 --interval-ms=100 --batches=20 --per-batch=25`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../lib/topology.js';
import { newDevAccount } from '../../local/accounts.js';
import { LOCAL_DIR } from '../../local/local-aws.js';
import { removeFinishedRuns, runDir } from '../../local/run-dirs.js';
import { startLocalStack } from '../../local/stack.js';
import { numberOption } from '../shared/options.js';
import { startFloorServer } from './floor-server.js';
import { printTable, type TargetResult, targetsMet } from './report.js';
import { connectViewers, type Viewers } from './viewers.js';
import { burst, measurePhase, pacedEvents, settle, type Target } from './workload.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const options = {
  clients: numberOption('clients', 100),
  events: numberOption('events', 100),
  intervalMs: numberOption('interval-ms', 100),
  batches: numberOption('batches', 20),
  perBatch: numberOption('per-batch', 25),
};

/** Warms up, then runs the paced phase and the burst against one target. */
async function runPhases(target: Target): Promise<TargetResult> {
  const { clients } = options;
  // Warm-up: every function environment and connection pool the paced phase will use.
  const warm = await pacedEvents(target, 'warm', 10, 50);
  await settle(target.viewers, warm, clients, 30_000);

  const paced = await pacedEvents(target, `${target.name}-paced`, options.events, options.intervalMs);
  await settle(target.viewers, paced, clients, 30_000);
  const burstPosted = await burst(target, `${target.name}-burst`, options.batches, options.perBatch);
  await settle(target.viewers, burstPosted, clients, 60_000);
  return {
    name: target.name,
    paced: measurePhase(target.viewers, paced, clients),
    burst: measurePhase(target.viewers, burstPosted, clients),
  };
}

async function benchLocalStack(): Promise<TargetResult> {
  const account = newDevAccount('acct_bench');
  await removeFinishedRuns(LOCAL_DIR, 'bench-live');
  const stack = await startLocalStack({
    dataDir: runDir(LOCAL_DIR, 'bench-live'),
    ports: 'random',
    account,
    progress: (line) => console.log(`[local-stack] ${line}`),
  });
  try {
    const restUrl = stack.endpoints.ingestUrl.replace(/\/v1\/events$/, '');
    const token = await mintLiveToken(restUrl, account.readKey);
    return await withViewers(`${stack.endpoints.websocketUrl}/?token=${token}`, (viewers) =>
      runPhases({
        name: 'local stack',
        ingestUrl: stack.endpoints.ingestUrl,
        writeKey: account.writeKey,
        viewers,
      }),
    );
  } finally {
    await stack.stop();
  }
}

/**
 * A live token for the viewers. The stack's first request can outlive the function's timeout on a busy
 * machine (cold DynamoDB Local), so a 5xx is tried again, as a page would.
 */
async function mintLiveToken(restUrl: string, readKey: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const minted = await fetch(`${restUrl}/v1/live-tokens`, {
      method: 'POST',
      headers: { 'x-api-key': readKey },
    });
    if (minted.status === 201) return ((await minted.json()) as { token: string }).token;
    if (minted.status < 500 || attempt === 3) throw new Error(`live token refused: HTTP ${minted.status}`);
    console.log(`live token: HTTP ${minted.status}, trying again`);
  }
}

async function benchFloor(): Promise<TargetResult> {
  const floor = await startFloorServer();
  try {
    return await withViewers(floor.websocketUrl, (viewers) =>
      runPhases({ name: 'floor (in-process ws)', ingestUrl: floor.ingestUrl, writeKey: '-', viewers }),
    );
  } finally {
    await floor.close();
  }
}

/** Runs `work` with `options.clients` viewers connected to `url`, closing them afterwards. */
async function withViewers<T>(url: string, work: (viewers: Viewers) => Promise<T>): Promise<T> {
  const viewers = await connectViewers(url, options.clients);
  console.log(`${options.clients} viewers connected to ${new URL(url).origin}`);
  try {
    return await work(viewers);
  } finally {
    await viewers.close();
  }
}

async function main(): Promise<void> {
  console.log(`bench:live ${JSON.stringify(options)}`);
  const results = [await benchFloor(), await benchLocalStack()];
  const targets = targetsMet(results[1] as TargetResult);
  printTable(results, targets);

  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `live-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cpus: cpus().length, loadAverage: loadavg().map((load) => Number(load.toFixed(2))) };
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine, options, results, targets }, null, 2)}\n`,
  );
  console.log(`\nresults: ${file}`);
  if (!targets.every((target) => target.met)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
