/**
 * No silent loss, with real parts: a record a consumer can never process is dead-lettered with its
 * payload and the reason, by each consumer that gave up on it, and the consumers carry on with the
 * records after it.
 */
import { describe, expect, it } from 'vitest';
import {
  deadLetters,
  eventually,
  givenAnAccount,
  postEvents,
  putRawRecord,
  searchAccountEvents,
  someEvents,
} from '../helpers/local-stack-client.js';

describe('records the consumers cannot process', () => {
  it('dead-letters a record that is not JSON, with its data and reason, and keeps going', async () => {
    // Given a producer that bypasses ingest and puts garbage on the stream
    const sequenceNumber = await putRawRecord('this is not json {');
    // …followed by a valid batch from a real client
    const account = await givenAnAccount();
    const events = someEvents(3);
    await postEvents(account.writeKey, events);

    // Then the indexer and the rollup writer each dead-letter the garbage with its data and reason…
    const letters = await eventually(
      async () => (await deadLetters()).filter((letter) => letter.sequenceNumber === sequenceNumber),
      (found) => found.length >= 2,
    );
    expect(letters.map((letter) => letter.source).sort()).toEqual(['indexer', 'rollup-writer']);
    for (const letter of letters) {
      expect(letter.reason).toMatch(/not JSON/);
      expect(Buffer.from(letter.data, 'base64').toString()).toBe('this is not json {');
    }
    // …and the records behind it still arrive.
    const indexed = await eventually(
      () => searchAccountEvents(account.accountId),
      (docs) => docs.length >= 3,
    );
    expect(indexed).toHaveLength(3);
  });

  it('dead-letters JSON that is not a stored event, naming the field', async () => {
    const sequenceNumber = await putRawRecord(JSON.stringify({ type: 'page_view' }));

    const letters = await eventually(
      async () => (await deadLetters()).filter((letter) => letter.sequenceNumber === sequenceNumber),
      (found) => found.length >= 2,
    );

    expect(letters).toHaveLength(2);
    expect(letters[0].reason).toMatch(/account_id/);
  });
});
