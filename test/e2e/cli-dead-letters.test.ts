/**
 * The dead-letter CLI against the real local stack: letters written by the real consumers (a write block,
 * an index mapped wrong) or placed as a consumer or a mapping writes them (a rollup-writer letter, a
 * discarded batch), listed, shown and redriven through the stream, to zero loss and zero duplicates.
 */
import { describe, expect, it } from 'vitest';
import { REASON_CODES } from '../../lambdas/shared/dead-letter.js';
import { onFailureRecord } from '../helpers/dead-letter-factories.js';
import {
  givenADeadLetter,
  givenASideStream,
  putStoredEvents,
  storedEvents,
} from '../helpers/dead-letter-scenarios.js';
import { accountDocuments } from '../helpers/ingest-client.js';
import { eventually, givenAnAccount, postEvents, someEvents } from '../helpers/local-stack-client.js';
import {
  anUnusedPastDay,
  createMisMappedIndex,
  deleteIndex,
  eventsIndex,
  setWriteBlock,
} from '../helpers/opensearch-admin.js';
import { pipeline, runFile } from '../helpers/pipeline-cli.js';
import { countedEvents } from '../helpers/rollup-counts.js';

const DAY_MS = 24 * 3600 * 1000;

/** The account's letters, as `dead-letters list --json` reports them. */
async function lettersOf(accountId: string): Promise<{ id: string; source: string; reasonCode: string }[]> {
  const run = await pipeline('dead-letters', 'list', '--account', accountId, '--json');
  expect(run.code, run.stderr).toBe(0);
  const letters: { id: string; source: string; reasonCode: string }[] = JSON.parse(run.stdout).letters;
  return letters.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Reconcile of `events` once it comes out clean (nothing missing or duplicated; with `settled`, nothing
 * dead-lettered either: every event indexed and counted), or its last answer when time is up.
 */
async function reconciled(events: { account_id: string; event_id: string }[], settled = true) {
  const ids = await runFile(events);
  return eventually(
    async () => {
      const run = await pipeline('reconcile', '--ids', ids, '--json', '--wait', '0');
      return { code: run.code, report: run.stdout ? JSON.parse(run.stdout) : run.stderr };
    },
    (result) => result.code === 0 && (!settled || result.report.total.deadLettered === 0),
    { timeoutMs: 60_000, intervalMs: 2_000 },
  );
}

describe('pipeline dead-letters', () => {
  it("redrives a write-block episode's letters after the fix: every event indexed once and counted once", async () => {
    // Given an account posting while today's index is write-blocked and a past day's index is mapped wrong
    const account = await givenAnAccount();
    const pastDay = await anUnusedPastDay();
    await createMisMappedIndex(eventsIndex(pastDay));
    const today = someEvents(20);
    const backfill = someEvents(15, { timestamp: pastDay.toISOString() });
    await setWriteBlock(eventsIndex(), true);
    try {
      expect((await postEvents(account.writeKey, [...today, ...backfill])).status).toBe(202);
      // …so the indexer dead-letters at least the events it can never index as things are
      const misMapped = await eventually(
        async () =>
          (await lettersOf(account.accountId)).filter(
            (letter) => letter.reasonCode === REASON_CODES.documentRejected,
          ),
        (found) => found.length >= backfill.length,
        { timeoutMs: 60_000, intervalMs: 1_000 },
      );
      expect(misMapped).toHaveLength(15);
    } finally {
      await setWriteBlock(eventsIndex(), false);
    }

    // When the operator fixes the index, waits for every event to be indexed or dead-lettered, looks at
    // the letters and redrives them (a dry run first)
    await deleteIndex(eventsIndex(pastDay));
    const sent = [...today, ...backfill].map((event) => ({
      account_id: account.accountId,
      event_id: event.event_id as string,
    }));
    const settled = await reconciled(sent, false);
    expect(settled.code, JSON.stringify(settled.report)).toBe(0);
    const list = await pipeline('dead-letters', 'list', '--account', account.accountId);
    expect(list.stdout).toMatch(new RegExp(`indexer\\s+${REASON_CODES.documentRejected}\\s+15`));
    const [first] = await lettersOf(account.accountId);
    const show = await pipeline('dead-letters', 'show', first?.id as string);
    expect(show.stdout).toMatch(new RegExp(`event key:\\s+${account.accountId}:evt-`));
    expect(show.stdout).toMatch(/payload:\n\{/);
    const before = await lettersOf(account.accountId);
    const dryRun = await pipeline('dead-letters', 'redrive', '--account', account.accountId, '--dry-run');
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toMatch(/Dry run: would redrive \d+ event/);
    expect(await lettersOf(account.accountId)).toEqual(before);
    const redrive = await pipeline('dead-letters', 'redrive', '--account', account.accountId);
    expect(redrive.code, redrive.stdout + redrive.stderr).toBe(0);
    expect(redrive.stdout).toMatch(/Redriven \d+ event\(s\); 0 skipped .* 0 refused; 0 failed/);

    // Then every event is indexed once and counted once, and no letter of the account is left
    const { code, report } = await reconciled(sent);
    expect(code, JSON.stringify(report)).toBe(0);
    expect(report.total).toMatchObject({ sent: 35, indexed: 35, counted: 35, missing: 0, duplicated: 0 });
    expect(report.accounts[0]).toMatchObject({ rollupTotal: 35, openSearchTotal: 35 });
    expect(await lettersOf(account.accountId)).toEqual([]);
    expect(await countedEvents(account.accountId)).toBe(35);
  });

  it('takes a letter delivered again after its redrive for a duplicate: nothing indexed or counted twice', async () => {
    // Given an event that is indexed and counted, and a stale letter about it (a redrive that died before deleting)
    const account = await givenAnAccount();
    const events = someEvents(1);
    expect((await postEvents(account.writeKey, events)).status).toBe(202);
    const docs = await eventually(
      () => accountDocuments(account.accountId),
      (found) => found.length === 1,
    );
    const id = await givenADeadLetter({
      source: 'indexer',
      reason: '403 cluster_block_exception: index [events] blocked by: [FORBIDDEN/8/index write (api)]',
      sequenceNumber: '1',
      failedAt: new Date().toISOString(),
      event: docs[0]?.source,
    });
    await eventually(
      () => countedEvents(account.accountId),
      (counted) => counted === 1,
    );

    // When it is redriven
    const redrive = await pipeline('dead-letters', 'redrive', '--id', id);

    // Then it is resolved as a duplicate, and the event is still one document and one count
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(redrive.stdout).toMatch(/duplicate\s+already indexed and counted/);
    expect(await lettersOf(account.accountId)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await accountDocuments(account.accountId)).toHaveLength(1);
    expect(await countedEvents(account.accountId)).toBe(1);
  });

  it('redrives a rollup-writer letter: indexed once, counted once', async () => {
    // Given an event the rollup writer gave up on before counting it (so it released the event's marker),
    // and that nothing indexed either
    const account = await givenAnAccount();
    const [event] = storedEvents(account.accountId, 1);
    if (!event) throw new Error('no event');
    const id = await givenADeadLetter({
      source: 'rollup-writer',
      reason: 'ValidationException: Item size has exceeded the maximum allowed size',
      reasonCode: 'dynamodb-validation',
      sequenceNumber: '49680000000000000000000000000000000000000000000000000042',
      shardId: 'shardId-000000000000',
      failedAt: new Date().toISOString(),
      event,
    });

    // When it is redriven
    const redrive = await pipeline('dead-letters', 'redrive', '--id', id);

    // Then the event is indexed once and counted once
    expect(redrive.code, redrive.stdout + redrive.stderr).toBe(0);
    expect(redrive.stdout).toMatch(
      /redriven\s+put 1 record\(s\) back on the stream \(not indexed, not counted\)/,
    );
    const { code, report } = await reconciled([{ account_id: account.accountId, event_id: event.event_id }]);
    expect(code, JSON.stringify(report)).toBe(0);
    expect(report.accounts[0]).toMatchObject({ rollupTotal: 1, openSearchTotal: 1 });
  });

  it('past the dedupe window, redrives an indexer letter to the indexer only: the rollups never count it twice', async () => {
    // Given an indexer letter for an event received 9 days ago, whose marker (if the rollups counted it) has
    // expired by now: nothing can tell whether it was counted, so the tool must not let it be counted again
    const account = await givenAnAccount();
    const nineDaysAgo = new Date(Date.now() - 9 * DAY_MS).toISOString();
    const [event] = storedEvents(account.accountId, 1, { timestamp: nineDaysAgo, received_at: nineDaysAgo });
    if (!event) throw new Error('no event');
    const id = await givenADeadLetter({
      source: 'indexer',
      reason: '400 mapper_parsing_exception: failed to parse field [user_id]',
      sequenceNumber: '49680000000000000000000000000000000000000000000000000043',
      failedAt: nineDaysAgo,
      event,
    });

    // When it is redriven
    const redrive = await pipeline('dead-letters', 'redrive', '--id', id);

    // Then it is indexed once, and the rollup writer took the copy for a duplicate
    expect(redrive.code, redrive.stdout + redrive.stderr).toBe(0);
    expect(redrive.stdout).toMatch(/redriven\s+put 1 record\(s\) back on the stream \(not indexed\)/);
    const docs = await eventually(
      () => accountDocuments(account.accountId),
      (found) => found.length === 1,
    );
    expect(docs.map((doc) => doc.id)).toEqual([`${account.accountId}:${event.event_id}`]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await countedEvents(account.accountId)).toBe(0);
  });

  it('re-reads the records of discarded batches from the stream and redrives only what they lack', async () => {
    // Given a batch both durable mappings discarded (its records never reached a sink)…
    const lost = await givenAnAccount();
    const side = await givenASideStream();
    const lostEvents = storedEvents(lost.accountId, 12);
    const lostSequences = await putStoredEvents(lostEvents, side);
    const range = {
      streamName: side,
      start: lostSequences[0] as string,
      end: lostSequences.at(-1) as string,
      batchSize: 12,
    };
    const discarded = [
      await givenADeadLetter(onFailureRecord({ functionName: 'indexer', ...range })),
      await givenADeadLetter(onFailureRecord({ functionName: 'rollup-writer', ...range })),
    ];
    // …and a batch discarded by the indexer's mapping whose records had in fact arrived
    const arrived = await givenAnAccount();
    const arrivedEvents = storedEvents(arrived.accountId, 8);
    const arrivedSequences = await putStoredEvents(arrivedEvents);
    await reconciled(
      arrivedEvents.map((event) => ({ account_id: arrived.accountId, event_id: event.event_id })),
    );
    discarded.push(
      await givenADeadLetter(
        onFailureRecord({
          functionName: 'indexer',
          start: arrivedSequences[0] as string,
          end: arrivedSequences.at(-1) as string,
          batchSize: 8,
        }),
      ),
    );
    const show = await pipeline('dead-letters', 'show', discarded[0] as string);
    expect(show.stdout).toMatch(/on the stream now: 12 record\(s\)/);

    // When they are redriven
    const redrive = await pipeline('dead-letters', 'redrive', ...discarded.flatMap((id) => ['--id', id]));

    // Then the lost records are indexed once and counted once, and the others are left alone
    expect(redrive.code, redrive.stdout + redrive.stderr).toBe(0);
    expect(redrive.stdout).toMatch(
      /Redriven 12 event\(s\); 8 skipped as already indexed and counted; 0 refused; 0 failed/,
    );
    for (const [account, events] of [
      [lost, lostEvents],
      [arrived, arrivedEvents],
    ] as const) {
      const { code, report } = await reconciled(
        events.map((event) => ({ account_id: account.accountId, event_id: event.event_id })),
      );
      expect(code, JSON.stringify(report)).toBe(0);
      expect(report.accounts[0]).toMatchObject({
        rollupTotal: events.length,
        openSearchTotal: events.length,
      });
    }
    const left = JSON.parse((await pipeline('dead-letters', 'list', '--json')).stdout).letters.map(
      (l: { id: string }) => l.id,
    );
    for (const id of discarded) expect(left).not.toContain(id);
  });

  it('keeps a discarded batch whose records aged out of the stream, and says so', async () => {
    // Given a discarded batch of a shard the stream no longer has
    const id = await givenADeadLetter(
      onFailureRecord({
        functionName: 'indexer',
        shardId: 'shardId-000000000007',
        start: '1',
        end: '2',
        batchSize: 2,
      }),
    );

    // When it is redriven
    const redrive = await pipeline('dead-letters', 'redrive', '--id', id);

    // Then it is kept, with the reason
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(redrive.stdout).toMatch(/kept\s+the records are no longer on the stream .*aged out/);
    const deleted = await pipeline('dead-letters', 'delete', '--id', id);
    expect(deleted.stdout).toMatch(/deleted 1 letter/);
  });
});
