import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { printReport } from '../../../cli/commands/reconcile.js';
import { runCli } from '../../../cli/main.js';
import { createOutput } from '../../../cli/output.js';
import type { GroupRow, ReconcileReport } from '../../../cli/reconcile/reconcile-core.js';
import { REASON_CODES } from '../../../lambdas/shared/dead-letter.js';

function captured() {
  const text = { stdout: '', stderr: '' };
  const sink = (stream: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _encoding, done) {
        text[stream] += String(chunk);
        done();
      },
    });
  return { output: createOutput({ stdout: sink('stdout'), stderr: sink('stderr') }), text };
}

async function run(...args: string[]) {
  const { output, text } = captured();
  const code = await runCli(args, output);
  return { code, ...text };
}

describe('the operator commands refuse what they cannot do, before touching anything', () => {
  it.each([
    [['dead-letters'], /name a subcommand/],
    [['dead-letters', 'peek'], /unknown subcommand "peek"/],
    [['dead-letters', 'redrive'], /redrive needs a selection: --all, --id, --reason, --source or --account/],
    [['dead-letters', 'delete', '--dry-run'], /delete needs a selection/],
    [['dead-letters', 'show'], /show takes one letter id/],
    [['dead-letters', 'list', '--visibility', '5'], /--visibility must be whole seconds from 10 to 43200/],
    [
      ['dead-letters', 'redrive', '--source', 'indexr'],
      /--source must be one of indexer, rollup-writer, ws-broadcast, unknown, got "indexr"/,
    ],
    [['reconcile'], /give --ids <file>, or --account with --from/],
    [['reconcile', '--account', 'a', '--from', 'yesterday'], /--from is not a time/],
    [['reconcile', '--ids', '/nonexistent/run.jsonl'], /cannot read \/nonexistent\/run.jsonl: ENOENT/],
    [
      ['reconcile', '--ids', 'run.jsonl', '--wait', '1.5'],
      /--wait must be a whole number of seconds from 0 to 3600/,
    ],
    [
      ['reconcile', '--ids', 'run.jsonl', '--wait', '3601'],
      /--wait must be a whole number of seconds from 0 to 3600/,
    ],
    [['load', '--rate', '0'], /--rate must be a whole number from 1 to 100000, got "0"/],
    [['load', '--batch', '501'], /--batch must be a whole number from 1 to 500/],
  ])('%j', async (args, message) => {
    const result = await run(...args);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Usage: pipeline /);
  });

  it('lists the new commands in the index and shows each one its usage', async () => {
    const index = await run('help');
    expect(index.stdout).toMatch(/dead-letters\s+list, show, redrive or delete dead letters/);
    expect(index.stdout).toMatch(/load\s+post N events/);
    expect(index.stdout).toMatch(/reconcile\s+a run's events/);
    expect((await run('dead-letters', '--help')).stdout).toMatch(
      /--dry-run\s+redrive\/delete: say what would happen/,
    );
  });

  it('names every reason code a letter can carry in the dead-letters usage, so --reason can be typed', async () => {
    const usage = (await run('dead-letters', '--help')).stdout;

    for (const code of Object.values(REASON_CODES)) expect(usage).toContain(code);
    expect(usage).toMatch(/batch-discarded:RetryAttemptsExhausted, batch-discarded:RecordAgeExceeded/);
  });
});

describe('the reconcile report', () => {
  const row = (tag: string, overrides: Partial<GroupRow> = {}): GroupRow => ({
    tag,
    sent: 10,
    accepted: 10,
    indexed: 10,
    counted: 10,
    deadLettered: 0,
    missing: 0,
    duplicated: 0,
    unexpected: 0,
    ...overrides,
  });

  it('prints a row per run and a total, the accounts, then the ids with a problem', () => {
    const report: ReconcileReport = {
      groups: [row('burst'), row('outage', { indexed: 9, missing: 1 })],
      total: row('total', { sent: 20, accepted: 20, indexed: 19, counted: 20, missing: 1 }),
      accounts: [
        {
          accountId: 'acct-1',
          from: '',
          to: '',
          events: 20,
          indexed: 19,
          counted: 20,
          countedNotIndexed: 1,
          rollupTotal: 21,
          openSearchTotal: 19,
          exclusive: true,
          unplaced: 0,
          problem: 'the rollups count 21 events, markers claim 20',
        },
      ],
      findings: [{ key: 'acct-1:e-9', tag: 'outage', problem: 'missing', detail: 'not indexed' }],
      unreadBatches: [],
    };
    const { output, text } = captured();

    printReport(report, 50, true, output);

    expect(text.stdout).toMatch(/burst\s+10\s+10\s+10\s+10\s+0\s+0\s+0\n/);
    expect(text.stdout).toMatch(/outage\s+10\s+10\s+9\s+10\s+0\s+1\s+0\n/);
    expect(text.stdout).toMatch(/total\s+20\s+20\s+19\s+20\s+0\s+1\s+0\n/);
    expect(text.stdout).toMatch(/acct-1\s+20\s+19\s+20\s+21\s+19\s+the rollups count 21 events/);
    expect(text.stdout).toMatch(/missing\s+acct-1:e-9\s+outage\s+not indexed/);
    expect(text.stdout).toMatch(/missing 1, duplicated 0, dead-lettered 0; rollup totals do NOT add up/);
  });
});
