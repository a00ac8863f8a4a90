/**
 * `reconcile`: sent vs accepted vs indexed vs counted vs dead-lettered for a run's events (a file of
 * ids, or an account's time range), listing missing and duplicated ids. Exit code 1 when anything is
 * missing or duplicated, a rejected event was stored, or an account's rollup total does not add up.
 */
import { readFile } from 'node:fs/promises';
import { DEFAULT_MAX_FUTURE_MS } from '../../lambdas/shared/event-limits.js';
import { OPENSEARCH } from '../../lib/topology.js';
import {
  type Command,
  parseOptions,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOptions,
  UsageError,
} from '../command.js';
import { indexLetters } from '../dead-letters/letter-index.js';
import { parseLetter } from '../dead-letters/letters.js';
import { holdForCommand } from '../interrupt.js';
import type { Output } from '../output.js';
import { accountEventsInRange } from '../reconcile/range-events.js';
import { type ReconcileReport, reconcileEvents, reportIsClean } from '../reconcile/reconcile-core.js';
import { parseRunFile, type RunEvent } from '../reconcile/run-events.js';
import { untilSettled } from '../reconcile/settle.js';
import { resolveTarget } from '../target.js';

const OPTIONS = {
  ...TARGET_OPTIONS,
  ids: { type: 'string' },
  account: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  show: { type: 'string' },
  wait: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** How long reconcile waits, by default, for events the pipeline may still be delivering. */
const DEFAULT_WAIT_SECONDS = 120;
const MAX_WAIT_SECONDS = 3600;
/** Missing events that have not fallen in this long are not lag. */
const STALL_MS = 30_000;
const CHECK_INTERVAL_MS = 5_000;

const USAGE = `pipeline reconcile (--ids <file> | --account <id> --from <time> [--to <time>]) [options]

  --ids <file>        the JSON lines \`pipeline load\` writes, or lines "<account id> <event id>"
                      (or bare event ids with --account)
  --account <id>      with --from/--to: every event of the account stamped in the range
                      (what OpenSearch and the dead-letter queue know of)
  --from, --to        ISO-8601 times; --to defaults to now
  --show <n>          missing and duplicated ids listed at most (default 50; all with --json)
  --wait <seconds>    while accepted events are missing and their number keeps falling (the pipeline
                      still delivering a run just sent), check again every 5 s for up to this long;
                      stops once none has arrived for 30 s (default 120; 0: one check)
  --json              the whole report as JSON

${TARGET_USAGE}`;

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: "a run's events: sent vs accepted vs indexed vs counted vs dead-lettered; missing and duplicated",
  usage: USAGE,
  async run({ args, output, signals }) {
    const { values } = parseOptions(args, OPTIONS);
    if (!values.ids && !(values.account && values.from)) {
      throw new UsageError('give --ids <file>, or --account with --from (and --to)');
    }
    const range = values.ids ? undefined : timeRange(values.from as string, values.to);
    const show = values.show === undefined ? 50 : Number(values.show);
    if (!Number.isInteger(show) || show < 0) throw new UsageError('--show must be a whole number');
    const waitSeconds = values.wait === undefined ? DEFAULT_WAIT_SECONDS : Number(values.wait);
    if (!/^\d+$/.test(values.wait ?? '0') || waitSeconds > MAX_WAIT_SECONDS)
      throw new UsageError(`--wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
    const fromFile = values.ids ? parseRunFile(await readIds(values.ids), values.account) : undefined;

    const target = await resolveTarget(targetOptions(values));
    try {
      const checkOnce = async () => {
        const held = await holdForCommand(
          target.sqs,
          target.resources.deadLetterQueueUrl,
          { waitSeconds: target.kind === 'local' ? 0 : 1, progress: output.progress('dead letters read') },
          output,
          signals,
        );
        const parsed = held.messages.map(parseLetter);
        let letters: Awaited<ReturnType<typeof indexLetters>>;
        try {
          letters = await indexLetters(parsed, {
            kinesis: target.kinesis,
            streamName: target.resources.streamName,
          });
        } finally {
          await held.release();
        }
        const events: RunEvent[] =
          fromFile ??
          (await accountEventsInRange(target.opensearch, OPENSEARCH.eventsIndexPrefix, parsed, {
            accountId: values.account as string,
            ...(range as { from: number; to: number }),
          }));
        const report = await reconcileEvents(events, {
          opensearch: target.opensearch,
          indexPrefix: OPENSEARCH.eventsIndexPrefix,
          dynamo: target.dynamo,
          rollupsTableName: target.resources.rollupsTableName,
          maxFutureMs: DEFAULT_MAX_FUTURE_MS,
          letters,
          progress: output.progress('events checked'),
        });
        return { report, heldElsewhere: held.heldElsewhere, notReceived: held.notReceived };
      };
      const settled = await untilSettled(checkOnce, ({ report }) => report.total.missing, {
        waitMs: waitSeconds * 1000,
        stallMs: STALL_MS,
        intervalMs: CHECK_INTERVAL_MS,
        now: Date.now,
        sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
        onWait: (missing) =>
          output.note(
            `${missing} accepted event(s) not yet indexed and counted (the pipeline may still be ` +
              `delivering them): checking again in ${CHECK_INTERVAL_MS / 1000} s, for up to ${waitSeconds} s`,
          ),
      });
      const { report, heldElsewhere, notReceived } = settled.report;
      if (values.json) output.line(JSON.stringify({ ...report, heldElsewhere, notReceived }, null, 2));
      else printReport(report, show, Boolean(fromFile), output);
      if (report.total.missing > 0 && settled.ended !== 'complete' && waitSeconds > 0) {
        output.note(
          settled.ended === 'stalled'
            ? `still missing after ${Math.round(settled.waitedMs / 1000)} s, and none arrived in the last ` +
                `${STALL_MS / 1000} s: not lag (see \`pipeline status\` and the dead letters)`
            : `still missing after waiting ${waitSeconds} s, the most --wait allowed; if events are still ` +
                'arriving, run reconcile again with a longer --wait',
        );
      }
      if (heldElsewhere && report.total.missing > 0) {
        output.note(
          `the ${report.total.missing} missing event(s) may be dead-lettered in the ${heldElsewhere} letter(s) ` +
            'held elsewhere: run reconcile again once those are back in the queue',
        );
      }
      if (notReceived && report.total.missing > 0) {
        output.note(
          `the ${report.total.missing} missing event(s) may be dead-lettered in the ${notReceived} letter(s) ` +
            'this run did not receive: redrive or delete the letters, then run reconcile again',
        );
      }
      return reportIsClean(report) ? 0 : 1;
    } finally {
      target.close();
    }
  },
};

/** The report as tables: per tag, per account, then the ids with a problem. */
export function printReport(report: ReconcileReport, show: number, withSent: boolean, output: Output): void {
  const unexpected = report.total.unexpected > 0;
  const header = [
    'run',
    'sent',
    'accepted',
    'indexed',
    'counted',
    'dead-lettered',
    'missing',
    'duplicated',
    ...(unexpected ? ['rejected but stored'] : []),
  ];
  const rows = [...report.groups, ...(report.groups.length > 1 ? [report.total] : [])].map((row) => [
    row.tag,
    withSent ? row.sent : '-',
    withSent ? row.accepted : '-',
    row.indexed,
    row.counted,
    row.deadLettered,
    row.missing,
    row.duplicated,
    ...(unexpected ? [row.unexpected] : []),
  ]);
  output.table(header, rows);
  output.line();
  output.table(
    ['account', 'events', 'indexed', 'counted', 'rollup total', 'documents', 'check'],
    report.accounts.map((account) => [
      account.accountId,
      account.events,
      account.indexed,
      account.counted,
      account.rollupTotal,
      account.openSearchTotal,
      account.problem ?? accountVerdict(account),
    ]),
  );
  for (const batch of report.unreadBatches)
    output.note(`discarded batch ${batch.letterId} not fully read: ${batch.reason}`);
  if (report.findings.length > 0) {
    output.line();
    output.table(
      ['problem', 'event key', 'run', 'detail'],
      report.findings.slice(0, show).map((f) => [f.problem, f.key, f.tag, f.detail]),
    );
    if (report.findings.length > show)
      output.line(`… ${report.findings.length - show} more (--json lists all)`);
  }
  output.line();
  output.line(
    `missing ${report.total.missing}, duplicated ${report.total.duplicated}, dead-lettered ${report.total.deadLettered}` +
      `${unexpected ? `, rejected but stored ${report.total.unexpected}` : ''}` +
      `${report.accounts.some((account) => account.problem) ? '; rollup totals do NOT add up' : ''}`,
  );
}

async function readIds(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function timeRange(from: string, to: string | undefined): { from: number; to: number } {
  const start = Date.parse(from);
  const end = to === undefined ? Date.now() : Date.parse(to);
  if (!Number.isFinite(start)) throw new UsageError(`--from is not a time: "${from.slice(0, 40)}"`);
  if (!Number.isFinite(end)) throw new UsageError(`--to is not a time: "${String(to).slice(0, 40)}"`);
  if (end <= start) throw new UsageError('--to must be after --from');
  return { from: start, to: end };
}

/** Why an account without a problem is fine, or why its totals could not be compared. */
function accountVerdict(account: ReconcileReport['accounts'][number]): string {
  if (!account.exclusive) return 'other events in these hours: totals not compared';
  if (account.unplaced > 0)
    return `${account.unplaced} counted event(s) of unknown time: totals not compared`;
  return 'ok';
}
