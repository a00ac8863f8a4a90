/**
 * The redrive contract (docs/decisions.md, "Redrive: counted exactly once"), consumer side, on the real
 * stack: a redrive puts a dead letter's event back on the stream with the letter's partition key, and
 * every consumer's own dedupe decides. An event the indexer dead-lettered while the rollup writer counted
 * it is, once redriven after the fix, indexed once (its registration is honoured) and still counted
 * once; redriving it again changes nothing.
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
import {
  anUnusedPastDay,
  createMisMappedIndex,
  deleteIndex,
  eventsIndex,
} from '../helpers/opensearch-admin.js';
import { getStats } from '../helpers/stats-client.js';

/** What the dead-letter tool does with a letter: the event, back on the stream, under its partition key. */
async function redrive(letter: Json): Promise<void> {
  await putRawRecord(JSON.stringify(letter.event), letter.partitionKey);
}

describe('redriving what the indexer dead-lettered', () => {
  it('indexes the events once after the fix, and the rollups still count each once', async () => {
    // Given a daily index mapped wrong (no other test writes that day), and an account's events of that day
    const day = await anUnusedPastDay();
    await createMisMappedIndex(eventsIndex(day));
    const account = await givenAnAccount();
    const events = someEvents(3, { timestamp: day.toISOString() });
    let letters: Json[] = [];
    try {
      expect((await postEvents(account.writeKey, events)).status).toBe(202);

      // Then the indexer dead-letters them with their payload, while the rollup writer counts them
      letters = await eventually(
        async () => (await deadLetters()).filter((letter) => letter.accountId === account.accountId),
        (found) => found.length >= 3,
      );
      expect(letters.map((letter) => letter.reasonCode)).toEqual(Array(3).fill('document-rejected'));
      expect(letters.every((letter) => letter.source === 'indexer')).toBe(true);
    } finally {
      // When the operator fixes the mapping (the template makes the index again on the next write)…
      await deleteIndex(eventsIndex(day));
    }
    const counted = () =>
      getStats(`/v1/accounts/${account.accountId}/summary`, { window: 'all' }, account.readKey);
    expect((await eventually(counted, (result) => result.body?.total_events === 3)).body.total_events).toBe(
      3,
    );

    // …and redrives the letters, twice over (an interrupted redrive run again)
    for (const letter of letters) await redrive(letter);
    const docs = await eventually(
      () => searchAccountEvents(account.accountId),
      (found) => found.length >= 3,
    );
    for (const letter of letters) await redrive(letter);
    await postEvents(account.writeKey, someEvents(1, { type: 'sentinel' }));

    // Then each event is one document, and counted once
    const summary = await eventually(counted, (result) => result.body?.totals_by_type?.sentinel === 1);
    const final = await eventually(
      () => searchAccountEvents(account.accountId),
      (found) => found.length >= 4,
    );
    expect(docs.map((doc) => doc.event_id).sort()).toEqual(events.map((event) => event.event_id).sort());
    expect(final).toHaveLength(4);
    expect(summary.body.total_events).toBe(4);
  });
});
