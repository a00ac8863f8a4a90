/**
 * `dead-letters list | show <id> | redrive | delete`: the dead-letter queue, for an operator. Every
 * subcommand first HOLDS the whole queue (`dead-letters/queue.ts`: received, kept invisible while the
 * command works, returned at the end), so it sees each letter exactly once and loses none; only a
 * redrive whose copy Kinesis acknowledged, or an explicit delete, removes a letter.
 */

import { REASON_CODES } from '../../lambdas/shared/dead-letter.js';
import {
  type Command,
  parseOptions,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOptions,
  UsageError,
} from '../command.js';
import { type Letter, parseLetter } from '../dead-letters/letters.js';
import type { HeldQueue } from '../dead-letters/queue.js';
import { redrive } from '../dead-letters/redrive.js';
import { type Selection, selects } from '../dead-letters/redrive-cases.js';
import { describeLetter, groupLetters, LETTER_COLUMNS, letterRows } from '../dead-letters/report.js';
import { readBatch } from '../dead-letters/stream-reader.js';
import { holdForCommand } from '../interrupt.js';
import type { Output } from '../output.js';
import { resolveTarget, type Target } from '../target.js';

const OPTIONS = {
  ...TARGET_OPTIONS,
  all: { type: 'boolean' },
  id: { type: 'string', multiple: true },
  reason: { type: 'string' },
  source: { type: 'string' },
  account: { type: 'string' },
  'dry-run': { type: 'boolean' },
  letters: { type: 'boolean' },
  json: { type: 'boolean' },
  visibility: { type: 'string' },
} as const;

/** What `--source` may name: the consumers that dead-letter, and `unknown` (a message none wrote). */
const LETTER_SOURCES = ['indexer', 'rollup-writer', 'ws-broadcast', 'unknown'] as const;

/** Every reason code a consumer writes, 4 to a line of the usage text. */
const CONSUMER_REASON_CODES = Object.values(REASON_CODES)
  .map((code, index) => (index > 0 && index % 4 === 0 ? `\n    ${code}` : ` ${code}`))
  .join(',')
  .trim();

const USAGE = `pipeline dead-letters <list|show|redrive|delete> [options]

  list                 letters grouped by source and reason code: counts, oldest, newest
                       (--letters: one line per letter)
  show <id>            one letter: reason, source, sequence number, event key, payload
                       (a discarded batch: its range and the records still on the stream)
  redrive              put the selected letters' events back on the stream, with their original
                       partition key; every consumer's dedupe keeps it exactly-once, and events
                       already indexed and counted are skipped. Deletes a letter only once its
                       redrive is acknowledged.
  delete               delete the selected letters for good (records that can never be processed)

Selection (redrive, delete; filters for list): --all | --id <id> (repeatable) | --reason <code> |
  --source <${LETTER_SOURCES.join('|')}> | --account <account id>
Reason codes (the "reason code" column of list):
  an event a consumer gave up on, with its payload:
    ${CONSUMER_REASON_CODES}
  a batch a mapping discarded (metadata only; redrive re-reads its records from the stream):
    batch-discarded:RetryAttemptsExhausted, batch-discarded:RecordAgeExceeded
  a message no consumer wrote: unrecognised-message
Options:
  --dry-run            redrive/delete: say what would happen, change nothing
  --json               machine-readable output
  --visibility <s>     how long letters stay hidden while the command holds them (default 120)

${TARGET_USAGE}`;

/** How a dry run names what a redrive would do with each letter. */
const DRY_RUN_OUTCOMES = {
  redriven: 'would redrive',
  duplicate: 'would skip',
  kept: 'would keep',
  failed: 'cannot redrive',
} as const;

export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'list, show, redrive or delete dead letters (events and discarded batches)',
  usage: USAGE,
  async run({ args, output, signals }) {
    const { values, positionals } = parseOptions(args, OPTIONS, true);
    const [action, ...rest] = positionals;
    const selection: Selection = {
      all: values.all,
      ids: values.id,
      reason: values.reason,
      source: values.source,
      account: values.account,
    };
    if (!['list', 'show', 'redrive', 'delete'].includes(action ?? '')) {
      throw new UsageError(action ? `unknown subcommand "${action}"` : 'name a subcommand');
    }
    if (action === 'show' && rest.length !== 1) throw new UsageError('show takes one letter id');
    if (action !== 'show' && rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (selection.source !== undefined && !(LETTER_SOURCES as readonly string[]).includes(selection.source)) {
      throw new UsageError(`--source must be one of ${LETTER_SOURCES.join(', ')}, got "${selection.source}"`);
    }
    if ((action === 'redrive' || action === 'delete') && !hasCriteria(selection)) {
      throw new UsageError(`${action} needs a selection: --all, --id, --reason, --source or --account`);
    }
    const visibility = Number(values.visibility ?? 120);
    if (!Number.isInteger(visibility) || visibility < 10 || visibility > 43_200) {
      throw new UsageError('--visibility must be whole seconds from 10 to 43200');
    }

    const target = await resolveTarget(targetOptions(values));
    const held = await holdForCommand(
      target.sqs,
      target.resources.deadLetterQueueUrl,
      {
        visibilitySeconds: visibility,
        waitSeconds: target.kind === 'local' ? 0 : 1,
        progress: output.progress('letters received'),
      },
      output,
      signals,
    ).catch((error: unknown) => {
      target.close();
      throw error;
    });
    try {
      const letters = held.messages.map(parseLetter).sort((a, b) => a.at - b.at);
      if (action === 'show')
        return await show(target, letters, rest[0] as string, Boolean(values.json), output);
      if (action === 'list')
        return list(target, letters, selection, Boolean(values.json), values.letters, output, held);
      if (action === 'delete') {
        const chosen = letters.filter((letter) => selects(letter, selection));
        const failed = values['dry-run'] ? [] : await held.remove(chosen.map((letter) => letter.id));
        const verb = values['dry-run'] ? 'would delete' : 'deleted';
        if (values.json)
          output.line(JSON.stringify({ [verb.replace(' ', '_')]: chosen.length - failed.length, failed }));
        else
          output.line(
            `${verb} ${chosen.length - failed.length} letter(s)${failed.length ? `; ${failed.length} could not be deleted` : ''}`,
          );
        return failed.length ? 1 : 0;
      }
      const report = await redrive(
        target,
        held,
        letters,
        selection,
        { dryRun: Boolean(values['dry-run']), now: Date.now() },
        output,
      );
      if (values.json)
        output.line(
          JSON.stringify(
            { ...report, heldElsewhere: held.heldElsewhere, notReceived: held.notReceived },
            null,
            2,
          ),
        );
      else {
        output.table(
          ['letter', 'source', 'reason code', 'outcome', 'detail'],
          report.letters.map((l) => [
            l.id,
            l.source,
            l.reasonCode,
            report.dryRun ? DRY_RUN_OUTCOMES[l.outcome] : l.outcome,
            l.detail,
          ]),
        );
        const { redriven, duplicates, refused, failed } = report.events;
        output.line(
          `${report.dryRun ? 'Dry run: would redrive' : 'Redriven'} ${redriven} event(s); ${duplicates} skipped as already indexed and counted; ` +
            `${refused} refused; ${failed} failed. Letters deleted: ${report.dryRun ? 0 : report.letters.filter((l) => l.outcome === 'redriven' || l.outcome === 'duplicate').length}, kept: ${report.letters.filter((l) => l.outcome === 'kept' || l.outcome === 'failed').length}.`,
        );
      }
      return report.events.failed > 0 || report.letters.some((letter) => letter.outcome === 'failed') ? 1 : 0;
    } finally {
      await held.release();
      target.close();
    }
  },
};

function hasCriteria(selection: Selection): boolean {
  return Boolean(
    selection.all || selection.ids?.length || selection.reason || selection.source || selection.account,
  );
}

function list(
  target: Target,
  all: Letter[],
  selection: Selection,
  json: boolean,
  oneLinePerLetter: boolean | undefined,
  output: Output,
  unseen: Pick<HeldQueue, 'heldElsewhere' | 'notReceived'>,
): number {
  const letters = hasCriteria(selection) ? all.filter((letter) => selects(letter, selection)) : all;
  const groups = groupLetters(letters);
  if (json) {
    output.line(
      JSON.stringify(
        {
          target: target.label,
          total: letters.length,
          heldElsewhere: unseen.heldElsewhere,
          notReceived: unseen.notReceived,
          groups,
          letters: letters.map(summaryOf),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  output.line(
    `Target: ${target.label}; ${letters.length} letter(s)${letters.length === all.length ? '' : ` of ${all.length}`}`,
  );
  if (letters.length === 0) return 0;
  output.table(
    ['source', 'reason code', 'letters', 'oldest', 'newest'],
    groups.map((group) => [group.source, group.reasonCode, group.letters, group.oldest, group.newest]),
  );
  if (oneLinePerLetter) {
    output.line();
    output.table(LETTER_COLUMNS, letterRows(letters));
  }
  return 0;
}

async function show(
  target: Target,
  letters: Letter[],
  id: string,
  json: boolean,
  output: Output,
): Promise<number> {
  const letter = letters.find((candidate) => candidate.id === id);
  if (!letter) {
    output.note(`no letter ${id} in the queue (${letters.length} letter(s) there)`);
    return 1;
  }
  const records =
    letter.kind === 'batch'
      ? await readBatch(target.kinesis, target.resources.streamName, letter).then((read) =>
          read.ok ? { records: read.records } : { records: read.records, note: read.reason },
        )
      : undefined;
  if (json) {
    const payload =
      letter.kind === 'event'
        ? { event: letter.event }
        : letter.kind === 'raw' && letter.data
          ? { data: letter.data.toString('base64') }
          : {};
    output.line(
      JSON.stringify({ ...summaryOf(letter), ...payload, recordsOnStream: records?.records.length }, null, 2),
    );
  } else for (const line of describeLetter(letter, records)) output.line(line);
  return 0;
}

function summaryOf(letter: Letter) {
  return {
    id: letter.id,
    kind: letter.kind,
    source: letter.source,
    reasonCode: letter.reasonCode,
    reason: letter.reason,
    at: new Date(letter.at || 0).toISOString(),
    ...(letter.kind === 'event' ? { eventKey: letter.key, sequenceNumber: letter.sequenceNumber } : {}),
    ...(letter.kind === 'raw' ? { sequenceNumber: letter.sequenceNumber } : {}),
    ...(letter.kind === 'batch'
      ? {
          shardId: letter.shardId,
          startSequenceNumber: letter.startSequenceNumber,
          endSequenceNumber: letter.endSequenceNumber,
          batchSize: letter.batchSize,
        }
      : {}),
  };
}
