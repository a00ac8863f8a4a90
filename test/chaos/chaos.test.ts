/**
 * The chaos test (`npm run test:chaos`, its own local stack): several thousand events from several
 * accounts while faults follow one another, caused for real: a write block on the index, the index
 * closed, OpenSearch paused past the indexer's function timeout, OpenSearch killed (the stack restarts
 * it), the indexer and the rollup writer killed mid-batch, one account sending poison (records OpenSearch
 * refuses, put straight on the stream, and hostile bodies at ingest) while another floods the rollups
 * with distinct users. At the end `pipeline reconcile` finds nothing missing and nothing duplicated,
 * every rollup total equals what OpenSearch holds (plus what the indexer dead-lettered), only the poison
 * was dead-lettered, and the bystander accounts' lag stayed bounded. It prints the table per fault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad, type SentEvent } from '../../cli/load/load-core.js';
import { FUNCTIONS } from '../../lib/topology.js';
import type { LocalStack } from '../../local/stack.js';
import { eventually, localStack, mappingStats, useLocalStack } from '../helpers/local-stack-client.js';
import { startTestStack } from '../helpers/local-stack-setup.js';
import { chaosTable, reconcileRun } from './chaos-report.js';
import { killMidBatch, killOpenSearch, pauseOpenSearch, setIndexClosed, setWriteBlock } from './faults.js';
import { LagProbe } from './lag-probe.js';
import { postHostileBodies, putPoisonRecords } from './poison.js';
import { distinctUsers, givenAccounts, loadDuring, RunLog, sleep } from './scenario.js';

/** Bystander load: events per second over all bystander accounts. */
const BYSTANDER_RATE = 24;
/** Longer than the indexer's function timeout, so an invocation dies waiting on the paused node. */
const PAUSE_MS = (FUNCTIONS.indexer.timeoutSeconds + 10) * 1000;
/** How long events may take to be searchable after an OpenSearch outage ends, on a loaded 2-core machine. */
const CATCH_UP_S = 60;
/** The longest a bystander waits for its count: the rollup writer never waits for OpenSearch. */
const COUNTED_LAG_BOUND_S = 30;

describe('chaos: faults one after another under load from several accounts', () => {
  // A stack of its own, started here rather than in a global setup: the project runs after the others
  // (vitest.config.ts), and its stack should not sit idle while they run.
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await startTestStack();
    useLocalStack(stack.endpoints);
  });
  afterAll(async () => {
    useLocalStack(undefined);
    await stack?.stop();
  });

  it('loses nothing, doubles nothing, dead-letters only the poison, and keeps bystanders moving', async () => {
    const started = Date.now();
    // Given four bystander accounts, a poison account and a flood account
    const bystanders = await givenAccounts('acct_bystander', 4);
    const [poison] = await givenAccounts('acct_poison', 1);
    const [flood] = await givenAccounts('acct_flood', 1);
    if (!poison || !flood) throw new Error('accounts not created');
    const log = new RunLog();
    const probe = new LagProbe();
    const bystanderIds = new Set(bystanders.map((account) => account.accountId));
    log.onEvent((event) => bystanderIds.has(event.account_id) && probe.track(event));
    probe.start();
    const plan = { accounts: bystanders, rate: BYSTANDER_RATE };
    const faultSeconds: Record<string, number> = {};
    // The load of a phase lasts as long as its fault; then, before the next fault, the pipeline catches
    // up (every bystander event sent so far searchable and counted), so that no phase's events are held
    // up by the next fault as well: each row of the table is one fault's effect.
    const during = async (name: string, fault: () => Promise<void>) => {
      const at = Date.now();
      await loadDuring(log, name, plan, fault);
      faultSeconds[name] = (Date.now() - at) / 1000;
      const ended = Date.now();
      await eventually(async () => probe.settledBefore(ended), Boolean, {
        timeoutMs: CATCH_UP_S * 1000,
        intervalMs: 1000,
      });
    };
    const lasting = (start: () => Promise<void>, end: () => Promise<void>, ms: number) => async () => {
      await start();
      try {
        await sleep(ms);
      } finally {
        await end();
      }
    };

    // When the faults follow one another under load
    await during('baseline', () => sleep(10_000));
    await during(
      'write block',
      lasting(
        () => setWriteBlock(true),
        () => setWriteBlock(false),
        20_000,
      ),
    );
    await during(
      'index closed',
      lasting(
        () => setIndexClosed(true),
        () => setIndexClosed(false),
        15_000,
      ),
    );
    await during(
      'opensearch paused',
      lasting(
        () => pauseOpenSearch(true),
        () => pauseOpenSearch(false),
        PAUSE_MS,
      ),
    );
    await during('opensearch killed', async () => {
      const seconds = await killOpenSearch();
      console.log(`[chaos] OpenSearch back ${seconds.toFixed(1)} s after SIGKILL`);
      await sleep(5_000);
    });
    const kills = { indexer: 0, 'rollup-writer': 0 };
    await during('consumers killed', async () => {
      for (let round = 0; round < 4; round += 1) {
        kills.indexer += await killMidBatch('indexer');
        kills['rollup-writer'] += await killMidBatch('rollup-writer');
        await sleep(2_000);
      }
    });
    const hostile: SentEvent[] = [];
    await during('poison + flood', async () => {
      const records = await putPoisonRecords(poison.accountId, 30, 'poison: stream records');
      for (const event of records) log.add(event);
      hostile.push(...(await postHostileBodies(poison.writeKey, poison.accountId, 'poison: hostile bodies')));
      for (const event of hostile) log.add(event);
      const loads = [
        { accounts: [poison], events: 100, rate: 10, tag: 'poison: valid events' },
        {
          accounts: [flood],
          events: 1_500,
          rate: 100,
          batchSize: 50,
          tag: 'flood of users',
          makeEvent: distinctUsers(),
        },
      ];
      await Promise.all(
        loads.map((load) =>
          runLoad({
            ingestUrl: localStack().ingestUrl,
            batchSize: 10,
            concurrency: 4,
            ...load,
            onEvent: (event) => log.add(event),
          }),
        ),
      );
    });
    const faultsDone = Date.now();

    // Then, once the pipeline has caught up, reconcile finds nothing missing or duplicated
    const report = await reconcileRun(log.events, { settleMs: 240_000 });
    await probe.stop();
    const table = chaosTable(report.report, probe, faultSeconds);
    console.log(
      `[chaos] ${log.events.length} events sent; faults took ${((faultsDone - started) / 1000).toFixed(0)} s, catching up ${((report.settledAt - faultsDone) / 1000).toFixed(0)} s; kills ${JSON.stringify(kills)}\n${table}\n${report.output}`,
    );
    expect(report.exitCode, report.output).toBe(0);
    expect(report.report.total.missing).toBe(0);
    expect(report.report.total.duplicated).toBe(0);
    expect(report.report.total.unexpected).toBe(0);

    // …every hostile body got a 4xx, never a 5xx…
    for (const event of hostile) expect(event.http, event.reason).toBeGreaterThanOrEqual(400);
    for (const event of hostile) expect(event.http, event.reason).toBeLessThan(500);

    // …only the poison records were dead-lettered, each of them…
    for (const row of report.report.groups) {
      expect(row.deadLettered, row.tag).toBe(row.tag === 'poison: stream records' ? row.sent : 0);
    }

    // …every rollup total equals the account's documents plus what the indexer dead-lettered…
    expect(report.report.accounts).toHaveLength(6);
    for (const account of report.report.accounts) {
      expect(account.problem, account.accountId).toBeUndefined();
      expect(account.exclusive, account.accountId).toBe(true);
      expect(account.rollupTotal, account.accountId).toBe(
        account.openSearchTotal + account.countedNotIndexed,
      );
    }

    // …no batch was given up on…
    const stats = await mappingStats();
    expect(stats.indexer).toMatchObject({ discardedBatches: 0 });
    expect(stats['rollup-writer']).toMatchObject({ discardedBatches: 0 });

    // …and the bystanders' lag stayed bounded: counting never waits for OpenSearch, indexing catches up
    expect(probe.stats('counted').unseen).toBe(0);
    expect(probe.stats('indexed').unseen).toBe(0);
    expect(probe.stats('counted').max).toBeLessThanOrEqual(COUNTED_LAG_BOUND_S);
    for (const [phase, seconds] of Object.entries(faultSeconds)) {
      // A phase's events wait at most for its own fault (and recovery), then catch up.
      expect(probe.stats('indexed', phase).max, phase).toBeLessThanOrEqual(seconds + CATCH_UP_S);
    }
    console.log(
      `[chaos] run time ${((Date.now() - started) / 1000).toFixed(0)} s (without the stack's start)`,
    );
  });
});
