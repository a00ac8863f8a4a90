/**
 * Admission = storable, against the real local stack: the hostile inputs are answered with a
 * 4xx naming the field and the limit, never a 5xx, and they never reach a sink; the events next to them
 * are indexed and counted as usual.
 */
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, MAX_EVENT_BYTES } from '../../lambdas/shared/event-limits.js';
import { eventOfSize, invalidUtf8Json, nestedArraysJson } from '../helpers/hostile-events.js';
import { documentsOnceIndexed, postRawBody } from '../helpers/ingest-client.js';
import { givenAnAccount, localStack, postEvents, someEvents } from '../helpers/local-stack-client.js';
import { countOnceCounted } from '../helpers/rollup-counts.js';

describe('admission', () => {
  it('rejects events nested 4,100 and 4,110 levels deep alone, and indexes and counts the others', async () => {
    // Given an account, and another one posting at the same time
    const account = await givenAnAccount();
    const bystander = await givenAnAccount();
    const [valid] = someEvents(1);
    const deep = (id: string, depth: number) =>
      `{"type":"deep","event_id":"${id}","properties":{"a":${nestedArraysJson(depth)}}}`;

    // When it posts the deep events between valid ones
    const response = await postRawBody(
      account.writeKey,
      `{"events":[${deep('d-4100', 4_100)},${JSON.stringify(valid)},${deep('d-4110', 4_110)}]}`,
    );
    const bystanderEvents = someEvents(5);
    const bystanderResponse = await postEvents(bystander.writeKey, bystanderEvents);

    // Then the deep ones are rejected, each naming where it is too deep and the limit…
    expect(response.status).toBe(202);
    expect(response.body.accepted).toBe(1);
    expect(response.body.rejected).toEqual(
      ['d-4100', 'd-4110'].map((id, position) => ({
        index: position * 2,
        event_id: id,
        errors: [
          { path: `properties.a${'.0'.repeat(15)}`, message: 'nested more than 16 levels deep (the limit)' },
        ],
      })),
    );
    // …and everything else is indexed and counted, so OpenSearch never saw them.
    expect(bystanderResponse.status).toBe(202);
    const documents = await documentsOnceIndexed(bystander.accountId, 5);
    expect(documents).toHaveLength(5);
    const indexed = await documentsOnceIndexed(account.accountId, 1);
    expect(indexed.map((doc) => doc.source.event_id)).toEqual([valid?.event_id]);
    expect(await countOnceCounted(account.accountId, 1)).toBe(1);
  });

  it('rejects lone surrogates in user_id and event_id, and keeps distinct ids distinct', async () => {
    // Given an account
    const account = await givenAnAccount();

    // When it posts lone surrogates, and two users that differ only in an emoji
    const response = await postRawBody(
      account.writeKey,
      JSON.stringify({
        events: [
          { type: 'x', event_id: 'lone-user', user_id: 'user-\ud800' },
          { type: 'x', event_id: 'lone-\udc00' },
          { type: 'x', event_id: 'smile', user_id: 'user-\ud83d\ude00' },
          { type: 'x', event_id: 'grin', user_id: 'user-\ud83d\ude01' },
        ],
      }),
    );

    // Then the lone surrogates are rejected by field…
    expect(response.status).toBe(202);
    expect(
      response.body.rejected.map((rejection: { errors: { path: string }[] }) => rejection.errors[0]?.path),
    ).toEqual(['user_id', 'event_id']);
    // …and the two users stay two events, both indexed and counted.
    const indexed = await documentsOnceIndexed(account.accountId, 2);
    expect(indexed.map((doc) => doc.source.user_id).sort()).toEqual([
      'user-\ud83d\ude00',
      'user-\ud83d\ude01',
    ]);
    expect(await countOnceCounted(account.accountId, 2)).toBe(2);
  });

  it('accepts a single event of exactly 32 KB and answers 413 for 32 KB + 1 byte, naming the limit', async () => {
    // Given an account
    const account = await givenAnAccount();

    // When it posts an event of exactly 32 KB, and one a byte over
    const exact = await postEvents(account.writeKey, eventOfSize(MAX_EVENT_BYTES, { type: 'x' }));
    const over = await postEvents(account.writeKey, eventOfSize(MAX_EVENT_BYTES + 1, { type: 'x' }));

    // Then the first is accepted and the second refused, naming the limit
    expect(exact.status).toBe(202);
    expect(exact.body).toMatchObject({ accepted: 1, rejected: [] });
    expect(over.status).toBe(413);
    expect(over.body.message).toBe('event is 32769 bytes serialized, over the 32 KB limit (32768 bytes)');
  });

  it('refuses invalid UTF-8 bytes with a 400 and never stores them replaced', async () => {
    // Given an account
    const account = await givenAnAccount();

    // When it posts bytes that are not UTF-8 (API Gateway hands binary bodies over base64-encoded)
    const response = await postRawBody(account.writeKey, invalidUtf8Json({ type: 'x', event_id: 'bytes' }));

    // Then
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(
      'request body is not valid UTF-8: invalid bytes are refused, not replaced',
    );
  });

  it('answers 415 naming what is accepted for a body that cannot be JSON', async () => {
    const account = await givenAnAccount();

    const response = await postRawBody(
      account.writeKey,
      Buffer.from('{"type":"x"}'),
      'application/octet-stream',
    );

    expect(response.status).toBe(415);
    expect(response.body.message).toBe(
      'Content-Type application/octet-stream is not accepted: send application/json or text/plain (UTF-8 JSON)',
    );
  });

  it('answers 413 for a body over 1 MB and 400 for a megabyte of open brackets', async () => {
    // Given an account
    const account = await givenAnAccount();

    // When
    const tooLarge = await postRawBody(
      account.writeKey,
      `{"type":"x","properties":{"a":"${'x'.repeat(MAX_BODY_BYTES)}"}}`,
    );
    const brackets = await postRawBody(account.writeKey, '['.repeat(MAX_BODY_BYTES));

    // Then
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.message).toMatch(/over the 1 MB limit \(1048576 bytes\)/);
    expect(brackets.status).toBe(400);
    expect(brackets.body.message).toMatch(/^request body is not valid JSON/);
  });

  it('creates the daily indices with the settings that bound depth and fields', async () => {
    // Given an indexed event
    const account = await givenAnAccount();
    await postEvents(account.writeKey, someEvents(1));
    const [document] = await documentsOnceIndexed(account.accountId, 1);

    // When its index's settings are read
    const response = await fetch(
      `${localStack().opensearchUrl}/${document?.index}/_settings?flat_settings=true`,
    );
    const settings = Object.values(
      (await response.json()) as Record<string, { settings: Record<string, string> }>,
    )[0]?.settings;

    // Then
    expect(settings).toMatchObject({
      'index.mapping.depth.limit': '2',
      'index.mapping.total_fields.limit': '50',
      'index.mapping.field_name_length.limit': '64',
      'index.mapping.nested_fields.limit': '0',
    });
  });
});
