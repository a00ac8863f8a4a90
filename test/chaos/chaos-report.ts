/**
 * The end of the chaos test: `pipeline reconcile` run as an operator would (the CLI, against the
 * stack's endpoints file, on a file of the run's events) until the pipeline has caught up, and the table
 * per fault with the bystanders' lag.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { SentEvent } from '../../cli/load/load-core.js';
import { runCli } from '../../cli/main.js';
import { createOutput, formatTable } from '../../cli/output.js';
import type { ReconcileReport } from '../../cli/reconcile/reconcile-core.js';
import { localStack } from '../helpers/local-stack-client.js';
import type { LagProbe } from './lag-probe.js';
import { sleep } from './scenario.js';

export interface ReconcileRun {
  report: ReconcileReport;
  exitCode: number;
  /** The CLI's plain output of the last run. */
  output: string;
  /** When reconcile first came out clean (or gave up waiting). */
  settledAt: number;
}

/** Runs `pipeline reconcile` on `events` every few seconds until it is clean or `settleMs` has passed. */
export async function reconcileRun(
  events: SentEvent[],
  options: { settleMs: number },
): Promise<ReconcileRun> {
  const folder = await mkdtemp(join(tmpdir(), 'chaos-'));
  const endpoints = join(folder, 'endpoints.json');
  const ids = join(folder, 'run.jsonl');
  await writeFile(endpoints, JSON.stringify(localStack()));
  await writeFile(ids, events.map((event) => JSON.stringify(event)).join('\n'));
  const deadline = Date.now() + options.settleMs;
  let last = await cli(['reconcile', '--ids', ids, '--endpoints', endpoints, '--json']);
  while (last.code !== 0 && Date.now() < deadline) {
    await sleep(5_000);
    last = await cli(['reconcile', '--ids', ids, '--endpoints', endpoints, '--json']);
  }
  const settledAt = Date.now();
  const plain = await cli(['reconcile', '--ids', ids, '--endpoints', endpoints, '--show', '20']);
  return {
    report: JSON.parse(last.stdout) as ReconcileReport,
    exitCode: plain.code,
    output: plain.stdout,
    settledAt,
  };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const captured = { stdout: '', stderr: '' };
  const sink = (stream: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _encoding, done) {
        captured[stream] += String(chunk);
        done();
      },
    });
  const code = await runCli(args, createOutput({ stdout: sink('stdout'), stderr: sink('stderr') }));
  return { code, ...captured };
}

/** The table per fault: what was sent, where it ended, and the bystanders' lag in seconds. */
export function chaosTable(
  report: ReconcileReport,
  probe: LagProbe,
  faultSeconds: Record<string, number>,
): string {
  const order = Object.keys(faultSeconds);
  const rank = (tag: string) => (order.includes(tag) ? order.indexOf(tag) : order.length);
  const lag = (what: 'indexed' | 'counted', tag?: string) => {
    const stats = probe.stats(what, tag);
    return stats.events === 0
      ? '-'
      : `${stats.p50.toFixed(1)} / ${stats.p99.toFixed(1)} / ${stats.max.toFixed(1)}`;
  };
  const rows = [...report.groups]
    .sort((a, b) => rank(a.tag) - rank(b.tag) || a.tag.localeCompare(b.tag))
    .map((row) => [
      row.tag,
      faultSeconds[row.tag] === undefined ? '-' : (faultSeconds[row.tag] as number).toFixed(0),
      row.sent,
      row.accepted,
      row.indexed,
      row.counted,
      row.deadLettered,
      row.missing,
      row.duplicated,
      lag('indexed', row.tag),
      lag('counted', row.tag),
    ]);
  const { total } = report;
  rows.push([
    'total',
    '-',
    total.sent,
    total.accepted,
    total.indexed,
    total.counted,
    total.deadLettered,
    total.missing,
    total.duplicated,
    lag('indexed'),
    lag('counted'),
  ]);
  return formatTable(
    [
      'fault',
      's',
      'sent',
      'accepted',
      'indexed',
      'counted',
      'dead-lettered',
      'missing',
      'duplicated',
      'bystander post->indexed p50/p99/max s',
      'post->counted p50/p99/max s',
    ],
    rows,
  );
}
