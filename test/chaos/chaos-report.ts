/**
 * The end of the chaos test: `pipeline reconcile` run as an operator would (the CLI, against the
 * stack's endpoints file, on a file of the run's events) until the pipeline has caught up, and the table
 * per fault with the bystanders' lag.
 */
import type { SentEvent } from '../../cli/load/load-core.js';
import { formatTable } from '../../cli/output.js';
import type { ReconcileReport } from '../../cli/reconcile/reconcile-core.js';
import { pipeline, runFile } from '../helpers/pipeline-cli.js';
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
  const ids = await runFile(events);
  const deadline = Date.now() + options.settleMs;
  // `--wait 0`: this loop is the wait, and it measures when the run settled.
  let last = await pipeline('reconcile', '--ids', ids, '--json', '--wait', '0');
  while (last.code !== 0 && Date.now() < deadline) {
    await sleep(5_000);
    last = await pipeline('reconcile', '--ids', ids, '--json', '--wait', '0');
  }
  const settledAt = Date.now();
  const plain = await pipeline('reconcile', '--ids', ids, '--show', '20', '--wait', '0');
  return {
    report: JSON.parse(last.stdout) as ReconcileReport,
    exitCode: plain.code,
    output: plain.code === 0 ? plain.stdout : `${plain.stdout}\n${plain.stderr}`,
    settledAt,
  };
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
