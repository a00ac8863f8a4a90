/**
 * Admission = storable, at the ingest endpoint: an event every sink can store is accepted; any other is
 * rejected alone with the field and the limit, and no input makes ingest throw anything but an answer.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { beforeEach, describe, expect, it } from 'vitest';
import { ingestEvents } from '../../../lambdas/ingest/ingest-core.js';
import { MAX_EVENT_BYTES, MAX_STORED_EVENT_BYTES } from '../../../lambdas/shared/event-limits.js';
import { eventOfSize, nestedArraysJson } from '../../helpers/hostile-events.js';
import {
  acknowledgeAll,
  httpErrorOf,
  ingestDeadline,
  ingestDeps,
  ingestRequest,
  mockedKinesis,
} from '../../helpers/ingest-fixtures.js';

const kinesis = mockedKinesis();

/** The events put on the stream, parsed. */
function written(): Record<string, unknown>[] {
  return kinesis
    .commandCalls(PutRecordsCommand)
    .flatMap((call) => call.args[0].input.Records ?? [])
    .map((record) => JSON.parse(Buffer.from(record.Data ?? []).toString()));
}

/** What ingest adds to the test request's events (account, receipt time, client ip, user agent). */

describe('admission at ingest', () => {
  beforeEach(() => {
    kinesis.reset();
    acknowledgeAll(kinesis);
  });

  it('rejects events nested 4,100 and 4,110 levels deep alone, naming the path and the limit', async () => {
    // Prepare
    // The body as text: JSON.stringify itself overflows the stack at this depth.
    const deep = (id: string, depth: number) =>
      `{"type":"deep","event_id":"${id}","properties":{"a":${nestedArraysJson(depth)}}}`;
    const body = `{"events":[${deep('d1', 4_100)},{"type":"fine","event_id":"ok"},${deep('d2', 4_110)}]}`;

    // Act
    const result = await ingestEvents(ingestRequest(body), ingestDeps(), ingestDeadline());

    // Assess
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual(
      ['d1', 'd2'].map((id, position) => ({
        index: position * 2,
        event_id: id,
        errors: [
          {
            path: `properties.a${'.0'.repeat(15)}`,
            message: 'nested more than 16 levels deep (the limit)',
          },
        ],
      })),
    );
    expect(written().map((event) => event.event_id)).toEqual(['ok']);
  });

  it('answers a 400, not a crash, for a single event nested 100,000 levels deep', async () => {
    // Prepare
    const body = `{"type":"deep","properties":{"a":${nestedArraysJson(100_000)}}}`;

    // Act
    const error = await httpErrorOf(ingestEvents(ingestRequest(body), ingestDeps(), ingestDeadline()));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.details).toMatchObject({ rejected: [{ index: 0, errors: [{ message: /16 levels/ }] }] });
  });

  it('rejects lone surrogates in user_id and event_id, which would collapse distinct ids in the rollups', async () => {
    // Prepare
    const body = {
      events: [
        { type: 'x', event_id: 'e1', user_id: 'user-\ud800' },
        { type: 'x', event_id: 'e2-\udfff' },
        { type: 'x', event_id: 'e3', user_id: 'user-\ud83d\ude00' },
      ],
    };

    // Act
    const result = await ingestEvents(ingestRequest(body), ingestDeps(), ingestDeadline());

    // Assess
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      {
        index: 0,
        event_id: 'e1',
        errors: [{ path: 'user_id', message: expect.stringMatching(/well-formed/) }],
      },
      {
        index: 1,
        event_id: 'e2-\ufffd',
        errors: [{ path: 'event_id', message: expect.stringMatching(/lone UTF-16 surrogate \\uDFFF/) }],
      },
    ]);
  });

  it('rejects a number beyond the range of a double wherever it is, never storing it as null', async () => {
    // Prepare: JSON.parse reads 1e400 as Infinity, which JSON.stringify would write as null.
    const body =
      '{"events":[{"type":"x","event_id":"big","properties":{"n":1e400,"list":[1,-1e999]}},' +
      '{"type":"x","event_id":"fine","properties":{"n":1.7976931348623157e308}}]}';

    // Act
    const result = await ingestEvents(ingestRequest(body), ingestDeps(), ingestDeadline());

    // Assess
    expect(result.rejected).toEqual([
      {
        index: 0,
        event_id: 'big',
        errors: [
          { path: 'properties.n', message: expect.stringMatching(/^number must be finite/) },
          { path: 'properties.list.1', message: expect.stringMatching(/^number must be finite/) },
        ],
      },
    ]);
    expect(written()).toMatchObject([{ event_id: 'fine', properties: { n: Number.MAX_VALUE } }]);
  });

  it('answers 413 naming the limit for a single event of 32 KB + 1 byte', async () => {
    // Prepare
    const event = eventOfSize(MAX_EVENT_BYTES + 1, { type: 'x' });

    // Act
    const error = await httpErrorOf(ingestEvents(ingestRequest(event), ingestDeps(), ingestDeadline()));

    // Assess
    expect(error.statusCode).toBe(413);
    expect(error.message).toBe('event is 32769 bytes serialized, over the 32 KB limit (32768 bytes)');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('accepts an event of exactly 32 KB as sent and refuses one byte more with 413 naming the limit', async () => {
    // Prepare
    const exact = eventOfSize(MAX_EVENT_BYTES, { type: 'x', event_id: 'exact' });
    const overByOne = eventOfSize(MAX_EVENT_BYTES + 1, { type: 'x', event_id: 'over' });

    // Act
    const accepted = await ingestEvents(ingestRequest(exact), ingestDeps(), ingestDeadline());
    const refused = await httpErrorOf(ingestEvents(ingestRequest(overByOne), ingestDeps(), ingestDeadline()));

    // Assess
    expect(accepted).toMatchObject({ accepted: 1, rejected: [] });
    expect(refused.statusCode).toBe(413);
    expect(refused.message).toBe('event is 32769 bytes serialized, over the 32 KB limit (32768 bytes)');
  });

  it('stores the largest event with the longest server fields within the stored-size invariant', async () => {
    // Prepare: 32 KB as sent, the longest user agent, every character of it escaped in JSON.
    const event = eventOfSize(MAX_EVENT_BYTES, { type: 'x', event_id: 'largest' });
    const request = { ...ingestRequest(event), userAgent: '\u0001'.repeat(2048) };

    // Act
    const result = await ingestEvents(request, ingestDeps(), ingestDeadline());

    // Assess
    expect(result.accepted).toBe(1);
    const [stored] = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.Records ?? [];
    expect(stored?.Data?.byteLength).toBeGreaterThan(MAX_EVENT_BYTES);
    expect(stored?.Data?.byteLength).toBeLessThanOrEqual(MAX_STORED_EVENT_BYTES);
  });

  it('answers 400 when nothing is valid and not every rejection is about size', async () => {
    // Prepare
    const body = {
      events: [eventOfSize(MAX_EVENT_BYTES + 1, { type: 'x' }), { type: 'x', user_id: '\ud800' }],
    };

    // Act
    const error = await httpErrorOf(ingestEvents(ingestRequest(body), ingestDeps(), ingestDeadline()));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.details).toMatchObject({ rejected: [{ index: 0 }, { index: 1 }] });
  });

  it.each([
    ['null', 'null'],
    ['a number', '7'],
    ['a string', '"page_view"'],
    ['an array', '[{"type":"x"}]'],
    ['deeply nested arrays', nestedArraysJson(5_000)],
  ])('rejects an event that is %s, alone', async (_, event) => {
    // Act
    const result = await ingestEvents(
      ingestRequest(`{"events":[${event},{"type":"x"}]}`),
      ingestDeps(),
      ingestDeadline(),
    );

    // Assess
    expect(result).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [{ index: 0, errors: [{ path: '', message: 'event must be a JSON object' }] }],
    });
  });
});
