/**
 * Failures contained per event, under real faults on the local OpenSearch (issue 6, item 2): what the
 * infrastructure refuses for a while waits and is indexed once it lifts, with no dead letter; what can
 * never be stored is dead-lettered at once, and another account's events are not held up behind it.
 */
import { describe, expect, it } from 'vitest';
import {
  deadLetters,
  eventually,
  givenAnAccount,
  type Json,
  postEvents,
  putRawRecord,
  searchAccountEvents,
  someEvents,
} from '../helpers/local-stack-client.js';
import { blockWrites, closeIndices } from '../helpers/opensearch-admin.js';
import { getStats } from '../helpers/stats-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function lettersOf(accountIds: string[]): Promise<Json[]> {
  return (await deadLetters()).filter((letter) => accountIds.includes(letter.accountId));
}

async function countedEvents(account: { accountId: string; readKey: string }): Promise<number> {
  const summary = await getStats(
    `/v1/accounts/${account.accountId}/summary`,
    { window: 'last_24h' },
    account.readKey,
  );
  return summary.status === 200 ? summary.body.total_events : 0;
}

/** Posts `perAccount` events for each account in batches of 100, spread over the first seconds of a fault. */
async function burst(accounts: { writeKey: string }[], perAccount: number): Promise<number> {
  let sent = 0;
  for (let offset = 0; offset < perAccount; offset += 100) {
    for (const account of accounts) {
      const events = someEvents(Math.min(100, perAccount - offset));
      expect((await postEvents(account.writeKey, events)).status).toBe(202);
      sent += events.length;
    }
    await sleep(1000);
  }
  return sent;
}

/** Runs a burst from two accounts during `holdMs` of a fault, lifts it, and checks nothing was lost. */
async function burstThrough(fault: () => Promise<() => Promise<void>>, holdMs: number) {
  const accounts = [await givenAnAccount(), await givenAnAccount()];
  // The day's index exists before the fault (a fault on an index that is not there yet is no fault).
  expect((await postEvents(accounts[0]?.writeKey ?? '', someEvents(5))).status).toBe(202);
  await eventually(
    () => searchAccountEvents(accounts[0]?.accountId ?? ''),
    (docs) => docs.length >= 5,
  );

  const lift = await fault();
  const faultStarted = performance.now();
  let liftedAfter = 0;
  try {
    const sent = await burst(accounts, 200);
    await sleep(Math.max(0, holdMs - (performance.now() - faultStarted)));
    // While the fault holds, nothing of the burst is given up on.
    expect(await lettersOf(accounts.map((account) => account.accountId))).toEqual([]);
    liftedAfter = performance.now() - faultStarted;
    await lift();
    const expected = [sent / 2 + 5, sent / 2];
    const liftedAt = performance.now();
    for (const [position, account] of accounts.entries()) {
      const docs = await eventually(
        () => searchAccountEvents(account.accountId),
        (found) => found.length >= (expected[position] ?? 0),
        { timeoutMs: 180_000, intervalMs: 1000 },
      );
      expect(docs).toHaveLength(expected[position] ?? 0);
      expect(new Set(docs.map((doc) => doc.event_id)).size).toBe(expected[position]);
    }
    const caughtUpSeconds = (performance.now() - liftedAt) / 1000;
    for (const [position, account] of accounts.entries()) {
      expect(await countedEvents(account)).toBe(expected[position]);
    }
    expect(await lettersOf(accounts.map((account) => account.accountId))).toEqual([]);
    return { sent, heldSeconds: liftedAfter / 1000, caughtUpSeconds };
  } finally {
    if (liftedAfter === 0) await lift();
  }
}

describe('infrastructure faults wait, never dead-letter', () => {
  it('a write block on the indices for ~20 s during a burst: 0 dead letters, all indexed once after it lifts', async () => {
    const result = await burstThrough(blockWrites, 20_000);

    console.log(
      `[faults] write block held ${result.heldSeconds.toFixed(1)} s over ${result.sent} events; all indexed ${result.caughtUpSeconds.toFixed(1)} s after it lifted; 0 dead letters`,
    );
  });

  it('the indices closed for ~15 s during a burst: 0 dead letters, all indexed once after they reopen', async () => {
    const result = await burstThrough(closeIndices, 15_000);

    console.log(
      `[faults] indices closed ${result.heldSeconds.toFixed(1)} s over ${result.sent} events; all indexed ${result.caughtUpSeconds.toFixed(1)} s after they reopened; 0 dead letters`,
    );
  });
});

describe('poison', () => {
  it("is dead-lettered at once by the indexer, and another account's events are indexed within 30 s", async () => {
    // Given a producer that puts straight on the stream an event OpenSearch can never index: a
    // property value over Lucene's 32,766-byte term (storable everywhere else)
    const poisoner = await givenAnAccount();
    const bystander = await givenAnAccount();
    const poison = {
      event_id: 'poison-1',
      account_id: poisoner.accountId,
      type: 'page_view',
      timestamp: new Date().toISOString(),
      received_at: new Date().toISOString(),
      properties: { note: 'x'.repeat(33_000) },
    };
    const sequenceNumber = await putRawRecord(JSON.stringify(poison), `${poisoner.accountId}:poison-1`);

    // When the bystander posts right behind it
    const posted = performance.now();
    const events = someEvents(50);
    expect((await postEvents(bystander.writeKey, events)).status).toBe(202);

    // Then the bystander's events are indexed within 30 s…
    const docs = await eventually(
      () => searchAccountEvents(bystander.accountId),
      (found) => found.length >= events.length,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const lagSeconds = (performance.now() - posted) / 1000;
    expect(docs).toHaveLength(events.length);
    expect(lagSeconds).toBeLessThan(30);

    // …and the poison is dead-lettered by the indexer with its payload and reason, and counted once
    const letters = await eventually(
      () => lettersOf([poisoner.accountId]),
      (found) => found.length >= 1,
    );
    expect(letters).toEqual([
      expect.objectContaining({
        source: 'indexer',
        reasonCode: 'document-rejected',
        sequenceNumber,
        eventKey: `${poisoner.accountId}:poison-1`,
        partitionKey: `${poisoner.accountId}:poison-1`,
        event: expect.objectContaining({ event_id: 'poison-1' }),
      }),
    ]);
    expect(letters[0].reason).toMatch(/illegal_argument_exception/);
    expect(
      await eventually(
        () => countedEvents(poisoner),
        (count) => count === 1,
      ),
    ).toBe(1);
    console.log(
      `[faults] bystander's 50 events indexed ${lagSeconds.toFixed(1)} s after posting behind the poison`,
    );
  });
});
