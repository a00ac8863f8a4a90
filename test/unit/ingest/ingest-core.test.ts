import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ingestEvents } from '../../../lambdas/ingest/ingest-core.js';
import { DEFAULT_KEY_EVENT_LIMITS } from '../../../lambdas/shared/config.js';
import {
  acknowledgeAll as acknowledgeAllOf,
  CALLERS,
  httpErrorOf,
  ingestDeadline,
  ingestDeps,
  ingestRequest,
} from '../../helpers/ingest-fixtures.js';

const kinesis = mockClient(KinesisClient);
const deps = ingestDeps;
const request = ingestRequest;
const deadline = ingestDeadline;
const acknowledgeAll = () => acknowledgeAllOf(kinesis);
/** Kinesis refuses the event `e2` of acct-1 every time, until the deadline. */
const refuseE2Always = () =>
  kinesis.on(PutRecordsCommand).callsFake((input: { Records: { PartitionKey: string }[] }) => ({
    FailedRecordCount: 1,
    Records: input.Records.map((record) =>
      record.PartitionKey === 'acct-1:e2'
        ? { ErrorCode: 'InternalFailure', ErrorMessage: 'internal' }
        : { SequenceNumber: '1', ShardId: 's' },
    ),
  }));

describe('ingestEvents', () => {
  beforeEach(() => {
    kinesis.reset();
  });

  it('puts a single event enriched, keyed by account and event id, and answers its counts', async () => {
    // Prepare
    acknowledgeAll();

    // Act
    const result = await ingestEvents(request({ type: 'page_view', event_id: 'e1' }), deps(), deadline());

    // Assess
    expect(result).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const input = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(input?.StreamName).toBe('events');
    expect(input?.Records?.[0]?.PartitionKey).toBe('acct-1:e1');
    expect(JSON.parse(Buffer.from(input?.Records?.[0]?.Data ?? []).toString())).toEqual({
      type: 'page_view',
      event_id: 'e1',
      account_id: 'acct-1',
      timestamp: '2026-01-15T10:30:00.000Z',
      received_at: '2026-01-15T10:30:00.000Z',
      client_ip: '203.0.113.7',
      user_agent: 'test-agent/1.0',
    });
  });

  it('writes each record as its own stored event, multi-byte characters included', async () => {
    // Prepare: characters of one to four UTF-8 bytes, in the client's fields and the user agent.
    acknowledgeAll();
    const paths = ['/a', '/é', '/日本', '/😀', '/\u0000"\\'];
    const body = { events: paths.map((path, index) => ({ type: 'view', event_id: `e${index}`, path })) };

    // Act
    await ingestEvents({ ...request(body), userAgent: 'agent/ü 😀' }, deps(), deadline());

    // Assess: every record decodes on its own to its event, with every server field.
    const records = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.Records ?? [];
    const stored = records.map((record) => JSON.parse(Buffer.from(record.Data ?? []).toString('utf8')));
    expect(stored.map((event) => [event.event_id, event.path, event.user_agent, event.account_id])).toEqual(
      paths.map((path, index) => [`e${index}`, path, 'agent/ü 😀', 'acct-1']),
    );
  });

  it('accepts the valid events of a batch, rejects the invalid ones, and sends duplicates once', async () => {
    // Prepare
    acknowledgeAll();
    const body = {
      events: [
        { type: 'login', event_id: 'a' },
        { type: 'BAD TYPE', event_id: 'b' },
        { type: 'login', event_id: 'a' },
        { type: 'x' },
      ],
    };

    // Act
    const result = await ingestEvents(request(body), deps(), deadline());

    // Assess
    expect(result).toEqual({
      accepted: 2,
      duplicates: 1,
      rejected: [
        {
          index: 1,
          event_id: 'b',
          errors: [{ path: 'type', message: 'type may only contain a-z, 0-9 and _ . : -' }],
        },
      ],
    });
    const records = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.Records ?? [];
    expect(records.map((record) => record.PartitionKey)).toEqual(['acct-1:a', 'acct-1:gen-1']);
  });

  it('retries only the entries PutRecords failed, then succeeds', async () => {
    // Prepare
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1', ShardId: 's' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
        ],
      })
      .resolvesOnce({ FailedRecordCount: 0, Records: [{ SequenceNumber: '2', ShardId: 's' }] });

    // Act
    const result = await ingestEvents(
      request({
        events: [
          { type: 'a', event_id: 'e1' },
          { type: 'a', event_id: 'e2' },
        ],
      }),
      deps(),
      deadline(),
    );

    // Assess
    expect(result).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const calls = kinesis.commandCalls(PutRecordsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Records?.map((record) => record.PartitionKey)).toEqual(['acct-1:e2']);
  });

  it('answers 503 with Retry-After naming the events still unacknowledged at the deadline', async () => {
    // Prepare
    refuseE2Always();

    // Act
    const error = await httpErrorOf(
      ingestEvents(
        request({
          events: [
            { type: 'a', event_id: 'e1' },
            { type: 'a', event_id: 'e2' },
          ],
        }),
        deps(),
        deadline(),
      ),
    );

    // Assess
    expect(error.statusCode).toBe(503);
    expect(error.headers['Retry-After']).toBe('1');
    expect(error.details).toMatchObject({
      accepted: 1,
      failed: [{ index: 1, event_id: 'e2', error_code: 'InternalFailure', error_message: 'internal' }],
    });
    expect(kinesis.commandCalls(PutRecordsCommand).length).toBeGreaterThan(2);
  });

  it('answers 503 when the stream cannot be reached at all', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).rejects(new Error('connect ECONNREFUSED'));

    // Act
    const error = await httpErrorOf(ingestEvents(request({ type: 'a', event_id: 'e1' }), deps(), deadline()));

    // Assess
    expect(error.statusCode).toBe(503);
    expect(error.details).toMatchObject({ accepted: 0, failed: [{ index: 0, event_id: 'e1' }] });
  });

  it('answers 413 naming the limit for a body over 1 MB', async () => {
    // Act
    const error = await httpErrorOf(
      ingestEvents(request({ type: 'a', properties: { blob: 'x'.repeat(1024 * 1024) } }), deps(), deadline()),
    );

    // Assess
    expect(error.statusCode).toBe(413);
    expect(error.message).toMatch(/over the 1 MB limit \(1048576 bytes\)/);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('answers 413 naming the limit for more than 500 events', async () => {
    // Prepare
    const events = Array.from({ length: 501 }, () => ({ type: 'a' }));

    // Act
    const error = await httpErrorOf(ingestEvents(request({ events }), deps(), deadline()));

    // Assess
    expect(error.statusCode).toBe(413);
    expect(error.message).toBe('request has 501 events, over the limit of 500 events per request');
  });

  it('rejects an event over 32 KB while accepting the others', async () => {
    // Prepare
    acknowledgeAll();
    const big = { type: 'a', event_id: 'big', properties: { blob: 'x'.repeat(33 * 1024) } };

    // Act
    const result = await ingestEvents(request({ events: [big, { type: 'a' }] }), deps(), deadline());

    // Assess
    expect(result.accepted).toBe(1);
    expect(result.rejected[0]).toMatchObject({ index: 0, event_id: 'big' });
    expect(result.rejected[0]?.errors[0]?.message).toMatch(/32 KB limit/);
  });

  it('answers 400 for malformed JSON and for a batch with nothing valid', async () => {
    // Act
    const malformed = await httpErrorOf(ingestEvents(request('{"type":'), deps(), deadline()));
    const nothingValid = await httpErrorOf(
      ingestEvents(request({ events: [{ type: 'A B' }] }), deps(), deadline()),
    );

    // Assess
    expect(malformed.statusCode).toBe(400);
    expect(malformed.message).toMatch(/not valid JSON/);
    expect(nothingValid.statusCode).toBe(400);
    expect(nothingValid.details).toMatchObject({ rejected: [{ index: 0 }] });
  });

  it('answers 403 for another account in the body, before writing anything', async () => {
    // Act
    const mismatch = await httpErrorOf(
      ingestEvents(request({ type: 'a', account_id: 'acct-2' }), deps(), deadline()),
    );

    // Assess
    expect(mismatch.statusCode).toBe(403);
    expect(mismatch.message).toBe("event 0: account_id does not match the API key's account");
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it("charges a key's limit only with the events it would write, under its account and key id", async () => {
    // Prepare
    acknowledgeAll();
    const asked: [string, number][] = [];
    const admit = async (key: string, events: number) => {
      asked.push([key, events]);
      return { admitted: true } as const;
    };
    const body = {
      events: [{ type: 'a', event_id: 'e1' }, { type: 'a', event_id: 'e1' }, { type: '' }, { type: 'b' }],
    };

    // Act: a duplicate and an invalid event, then the same from keys stored without an id in two accounts
    await ingestEvents(request(body), deps({ admit }), deadline());
    await ingestEvents(
      request({ type: 'a' }, {}, { accountId: 'acct-1', scope: 'write' }),
      deps({ admit }),
      deadline(),
    );
    await ingestEvents(
      request({ type: 'a' }, {}, { accountId: 'acct-2', scope: 'write' }),
      deps({ admit }),
      deadline(),
    );

    // Assess: two events counted, not four; keys without an id never share another account's limit
    expect(asked).toEqual([
      ['acct-1/key_write', 2],
      ['acct-1/unnamed', 1],
      ['acct-2/unnamed', 1],
    ]);
  });

  it('answers 429 with Retry-After and the limit, writing nothing, when the key is over its event limit', async () => {
    // Prepare
    acknowledgeAll();
    const admit = async () => ({ admitted: false, retryAfterSeconds: 3, remaining: 40 }) as const;

    // Act
    const error = await httpErrorOf(
      ingestEvents(request({ events: [{ type: 'a' }, { type: '' }] }), deps({ admit }), deadline()),
    );

    // Assess
    expect(error.statusCode).toBe(429);
    expect(error.headers).toEqual({
      'Retry-After': '3',
      'X-RateLimit-Limit': '500',
      'X-RateLimit-Remaining': '40',
      'X-RateLimit-Reset': '3',
    });
    expect(error.details).toMatchObject({
      accepted: 0,
      rejected: [{ index: 1 }],
      event_rate_limit: 500,
      event_burst_limit: 1000,
      events_admissible_now: 40,
    });
    expect(error.message).toBe(
      "this key's event limit (500 events per second, bursts of 1000) is reached: resend this event with the same event_id after 3 s",
    );
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('gives back the charge of the events Kinesis did not acknowledge, and only when it was charged', async () => {
    // Prepare: e2 is refused until the deadline, every time
    refuseE2Always();
    const refunds: [string, number][] = [];
    const refund = async (bucket: string, events: number) => {
      refunds.push([bucket, events]);
    };
    const body = { events: ['e1', 'e2', 'e3'].map((event_id) => ({ type: 'a', event_id })) };
    const admittedUnchecked = async () => ({ admitted: true, unchecked: true }) as const;

    // Act
    const charged = await httpErrorOf(ingestEvents(request(body), deps({ refund }), deadline()));
    const unchecked = await httpErrorOf(
      ingestEvents(request(body), deps({ refund, admit: admittedUnchecked }), deadline()),
    );
    kinesis.reset();
    acknowledgeAll();
    await ingestEvents(request(body), deps({ refund }), deadline());

    // Assess: one refund, of e2 alone, for the charged request; none for the unchecked nor the written one
    expect([charged.statusCode, unchecked.statusCode]).toEqual([503, 503]);
    expect(refunds).toEqual([['acct-1/key_write', 1]]);
  });

  it('lets a read key post events too', async () => {
    // Prepare
    acknowledgeAll();

    // Act
    const result = await ingestEvents(request({ type: 'a' }, {}, CALLERS.read), deps(), deadline());

    // Assess
    expect(result.accepted).toBe(1);
  });

  it('decodes a base64 body', async () => {
    // Prepare
    acknowledgeAll();
    const body = Buffer.from(JSON.stringify({ type: 'a' })).toString('base64');

    // Act
    const result = await ingestEvents(
      {
        caller: CALLERS.write,
        eventLimits: DEFAULT_KEY_EVENT_LIMITS,
        headers: {},
        body,
        isBase64Encoded: true,
      },
      deps(),
      deadline(),
    );

    // Assess
    expect(result.accepted).toBe(1);
  });
});
