/**
 * `pipeline load` and `pipeline reconcile` against the real local stack: a run's events are posted at a
 * bounded rate and written to a file, and reconcile finds each one indexed once and counted once; when
 * a document is lost, a marker is lost or an event is indexed twice, reconcile names it and fails.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { SentEvent } from '../../cli/load/load-core.js';
import { markerKey } from '../../lambdas/stats/rollup-model.js';
import { localDynamoDb } from '../../local/services/local-clients.js';
import { eventually, localStack } from '../helpers/local-stack-client.js';
import { eventsIndex, openSearchRequest } from '../helpers/opensearch-admin.js';
import { pipeline } from '../helpers/pipeline-cli.js';

/** Runs `pipeline load` for `accounts` fresh accounts; resolves with the file and its events. */
async function loadRun(
  events: number,
  accounts: number,
): Promise<{ file: string; sent: SentEvent[]; stdout: string }> {
  const file = join(await mkdtemp(join(tmpdir(), 'load-')), 'run.jsonl');
  const run = await pipeline(
    'load',
    '--events',
    String(events),
    '--accounts',
    String(accounts),
    '--rate',
    '400',
    '--batch',
    '20',
    '--out',
    file,
    '--tag',
    'burst',
  );
  expect(run.code, run.stderr).toBe(0);
  const sent = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SentEvent);
  return { file, sent, stdout: run.stdout };
}

/** `pipeline reconcile --ids file --json` once it exits 0 (or its last answer). */
function reconcileOnceClean(file: string) {
  return eventually(
    async () => {
      const run = await pipeline('reconcile', '--ids', file, '--json', '--wait', '0');
      return { ...run, report: run.stdout ? JSON.parse(run.stdout) : undefined };
    },
    (run) => run.code === 0,
    { timeoutMs: 60_000, intervalMs: 2_000 },
  );
}

describe('pipeline load and reconcile', () => {
  it('posts N events from M accounts at a bounded rate, and reconcile finds each indexed and counted once', async () => {
    // When 400 events are posted from 2 fresh accounts
    const { file, sent, stdout } = await loadRun(400, 2);

    // Then each has an outcome in the file, spread over both accounts, and the summary says so
    expect(sent).toHaveLength(400);
    expect(sent.every((event) => event.status === 'accepted' && event.tag === 'burst')).toBe(true);
    expect(new Set(sent.map((event) => event.account_id)).size).toBe(2);
    expect(stdout).toMatch(/400\s+400\s+0\s+0\s+20\s/);
    expect(stdout).toMatch(/HTTP answers: 202 x20/);

    // …and reconcile, run at once, waits for the events still on their way and finds all of them
    // indexed once and counted once, the rollups agreeing
    const run = await pipeline('reconcile', '--ids', file, '--json');
    const clean = { ...run, report: run.stdout ? JSON.parse(run.stdout) : undefined };
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.report.groups).toEqual([
      {
        tag: 'burst',
        sent: 400,
        accepted: 400,
        indexed: 400,
        counted: 400,
        deadLettered: 0,
        missing: 0,
        duplicated: 0,
        unexpected: 0,
      },
    ]);
    for (const account of clean.report.accounts) {
      expect(account).toMatchObject({
        rollupTotal: account.events,
        openSearchTotal: account.events,
        exclusive: true,
      });
    }
    const plain = await pipeline('reconcile', '--ids', file);
    expect(plain.stdout).toMatch(/missing 0, duplicated 0, dead-lettered 0/);

    // …and so does reconcile by account and time range
    const [first] = sent;
    const range = await pipeline(
      'reconcile',
      '--account',
      first?.account_id as string,
      '--from',
      new Date(Date.now() - 3_600_000).toISOString(),
    );
    expect(range.code, range.stderr).toBe(0);
    expect(range.stdout).toMatch(
      new RegExp(`range\\s+-\\s+-\\s+${sent.filter((e) => e.account_id === first?.account_id).length}\\s`),
    );
  });

  it('names a lost document, a lost count and a second document, and exits 1', async () => {
    // Given a clean run of 30 events
    const { file, sent } = await loadRun(30, 1);
    await reconcileOnceClean(file);
    const [lostDocument, lostMarker, doubled] = sent as [SentEvent, SentEvent, SentEvent];
    const key = (event: SentEvent) => `${event.account_id}:${event.event_id}`;

    // When one document is deleted, one event's marker is deleted, and one event is indexed again elsewhere
    await openSearchRequest(
      'DELETE',
      `/${eventsIndex(lostDocument.timestamp)}/_doc/${encodeURIComponent(key(lostDocument))}?refresh=true`,
    );
    const stack = localStack();
    const dynamo = DynamoDBDocumentClient.from(
      localDynamoDb(stack.dynamodbUrl, { region: stack.region, maxAttempts: 3 }),
    );
    await dynamo.send(
      new DeleteCommand({
        TableName: stack.rollupsTableName,
        Key: markerKey(lostMarker.account_id, lostMarker.event_id),
      }),
    );
    dynamo.destroy();
    await openSearchRequest(
      'PUT',
      `/${eventsIndex('2020-01-01T00:00:00Z')}/_doc/${encodeURIComponent(key(doubled))}?refresh=true`,
      {
        event_id: doubled.event_id,
        account_id: doubled.account_id,
        type: 'page_view',
        timestamp: doubled.timestamp,
        received_at: doubled.timestamp,
      },
    );

    // Then reconcile lists each of them, and fails (`--wait 0`: one check; nothing is on its way)
    const run = await pipeline('reconcile', '--ids', file, '--wait', '0');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`missing\\s+${key(lostDocument)}\\s+burst\\s+not indexed`));
    expect(run.stdout).toMatch(new RegExp(`missing\\s+${key(lostMarker)}\\s+burst\\s+not counted`));
    expect(run.stdout).toMatch(
      new RegExp(`duplicated\\s+${key(doubled)}\\s+burst\\s+2 documents: events-2020.01.01`),
    );
    expect(run.stdout).toMatch(/missing 2, duplicated 1/);
  });
});
