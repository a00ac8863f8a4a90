import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LoadOptions, runLoad, type SentEvent } from '../../../cli/load/load-core.js';
import { parseRunFile } from '../../../cli/reconcile/run-events.js';

/** A fake ingest endpoint: answers each POST with the next of `answers` (the last one repeats). */
function fakeIngest(
  answers: ((events: { event_id: string }[]) => {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
  })[],
) {
  const requests: { event_id: string }[][] = [];
  vi.stubGlobal('fetch', async (_url: string, init: { body: string }) => {
    const { events } = JSON.parse(init.body) as { events: { event_id: string }[] };
    requests.push(events);
    const answer = (answers[Math.min(requests.length - 1, answers.length - 1)] as (typeof answers)[0])(
      events,
    );
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers });
  });
  return requests;
}

const account = { accountId: 'acct-1', writeKey: 'wk' };
/** Runs a load of `events` to the fake endpoint; every outcome lands in `sent`. */
function load(sent: SentEvent[], options: Partial<LoadOptions> = {}) {
  return runLoad({
    ingestUrl: 'http://ingest/v1/events',
    accounts: [account],
    events: 3,
    rate: 10_000,
    batchSize: 3,
    concurrency: 1,
    tag: 't',
    onEvent: (event) => sent.push(event),
    ...options,
  });
}

describe('the load generator', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('gives every event one outcome: accepted, or rejected with the reason the 202 named', async () => {
    fakeIngest([
      () => ({
        status: 202,
        body: {
          accepted: 2,
          duplicates: 0,
          rejected: [{ index: 1, errors: [{ path: 'type', message: 'bad' }] }],
        },
      }),
    ]);
    const sent: SentEvent[] = [];

    const summary = await load(sent);

    expect(sent.map((event) => [event.status, event.reason])).toEqual([
      ['accepted', undefined],
      ['rejected', 'type: bad'],
      ['accepted', undefined],
    ]);
    expect(sent[0]).toMatchObject({
      account_id: 'acct-1',
      tag: 't',
      http: 202,
      event_id: expect.any(String),
    });
    expect(summary).toMatchObject({
      events: 3,
      accepted: 2,
      rejected: 1,
      failed: 0,
      requests: 1,
      statuses: { 202: 1 },
    });
  });

  it('resends only the events a 503 names as unwritten, with the same ids', async () => {
    const requests = fakeIngest([
      () => ({
        status: 503,
        body: {
          accepted: 2,
          rejected: [],
          failed: [{ index: 2, event_id: 'x', error_code: 'ProvisionedThroughputExceededException' }],
        },
        headers: { 'retry-after': '0' },
      }),
      () => ({ status: 202, body: { accepted: 1, duplicates: 0, rejected: [] } }),
    ]);
    const sent: SentEvent[] = [];

    const summary = await load(sent);

    expect(requests[1]).toEqual([requests[0]?.[2]]);
    expect(summary).toMatchObject({ accepted: 3, failed: 0, requests: 2, statuses: { 202: 1, 503: 1 } });
  });

  it('counts the events a 503 acknowledged as accepted on the last attempt too, not as rejected', async () => {
    // Prepare: every answer is a 503 naming event 2 unwritten; the other two were written.
    fakeIngest([
      (events) => ({
        status: 503,
        body: {
          accepted: events.length - 1,
          duplicates: 0,
          rejected: [],
          failed: [{ index: events.length - 1, event_id: 'x', error_code: 'InternalFailure' }],
        },
        headers: { 'retry-after': '0' },
      }),
    ]);
    const sent: SentEvent[] = [];

    // Act
    const summary = await load(sent, { attempts: 1 });

    // Assess
    expect(sent.map((event) => event.status)).toEqual(['accepted', 'accepted', 'failed']);
    expect(summary).toMatchObject({ accepted: 2, rejected: 0, failed: 1 });
  });

  it('resends the whole request after a 429 or no answer, and calls events failed when attempts run out', async () => {
    const requests = fakeIngest([
      () => ({ status: 429, body: { message: 'slow down' }, headers: { 'retry-after': '0' } }),
    ]);
    const sent: SentEvent[] = [];

    const summary = await load(sent, { events: 2, batchSize: 2, attempts: 3, throttledForMs: 0 });

    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((events) => events.map((e) => e.event_id).join()))).toHaveProperty('size', 1);
    expect(summary).toMatchObject({ failed: 2, accepted: 0 });
    expect(sent[0]?.reason).toMatch(/not acknowledged after 3 send\(s\) in [\d.]+ s: slow down/);
  });

  it('keeps resending a throttled request while the pipeline says later, beyond the attempts other failures get', async () => {
    // Prepare: six 429s in a row (a load over its keys' event limits), then room
    const throttled = () => ({
      status: 429,
      body: { message: 'event limit' },
      headers: { 'retry-after': '0' },
    });
    const requests = fakeIngest([
      ...Array.from({ length: 6 }, () => throttled),
      () => ({ status: 202, body: { accepted: 2, duplicates: 0, rejected: [] } }),
    ]);
    const sent: SentEvent[] = [];

    // Act
    const summary = await load(sent, { events: 2, batchSize: 2, attempts: 3 });

    // Assess
    expect(requests).toHaveLength(7);
    expect(summary).toMatchObject({ accepted: 2, failed: 0, statuses: { 429: 6, 202: 1 } });
  });

  it('once interrupted, sends nothing new nor again, and gives each event sent its outcome', async () => {
    // Prepare: the first request is accepted, the second throttled; the interrupt comes with the
    // second answer, while the third request waits its turn (rate: one request per 100 ms)
    const controller = new AbortController();
    const requests = fakeIngest([
      (events) => ({ status: 202, body: { accepted: events.length, duplicates: 0, rejected: [] } }),
      () => {
        controller.abort();
        return { status: 429, body: { message: 'event limit' }, headers: { 'retry-after': '30' } };
      },
    ]);
    const sent: SentEvent[] = [];

    // Act
    const started = Date.now();
    const summary = await load(sent, { events: 9, batchSize: 3, rate: 30, signal: controller.signal });

    // Assess: two requests, no resend after its 30 s Retry-After, no third request
    expect(requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(summary).toMatchObject({ events: 6, accepted: 3, failed: 3 });
    expect(sent.filter((event) => event.status === 'failed').map((event) => event.reason)).toEqual(
      Array(3).fill('not acknowledged after 1 send(s); interrupted before the next'),
    );
    expect(sent.filter((event) => event.status === 'failed').every((event) => event.http === 429)).toBe(true);
  });

  it('spreads batches over the accounts in turn and never exceeds the rate', async () => {
    const requests = fakeIngest([
      (events) => ({ status: 202, body: { accepted: events.length, duplicates: 0, rejected: [] } }),
    ]);
    const sent: SentEvent[] = [];
    const started = Date.now();

    await load(sent, {
      accounts: [account, { accountId: 'acct-2', writeKey: 'wk2' }],
      events: 40,
      rate: 200,
      batchSize: 10,
      concurrency: 2,
    });

    expect(requests).toHaveLength(4);
    expect(sent.filter((event) => event.account_id === 'acct-2')).toHaveLength(20);
    // Four batches of 10 at 200/s: the last is due 150 ms after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('a run file', () => {
  it('reads the lines the load tool writes, outcome and tag included', () => {
    const line = {
      account_id: 'a',
      event_id: 'e:1',
      timestamp: '2026-01-15T10:00:00.000Z',
      status: 'rejected',
      tag: 'burst',
      sent_at: 1,
      answered_at: 2,
    };

    expect(parseRunFile(`${JSON.stringify(line)}\n\n`)).toEqual([
      {
        accountId: 'a',
        eventId: 'e:1',
        key: 'a:e:1',
        status: 'rejected',
        tag: 'burst',
        timestamp: line.timestamp,
        answeredAt: 2,
      },
    ]);
  });

  it('reads "<account> <event id>" lines, or bare ids with a default account, as accepted', () => {
    expect(parseRunFile('# a comment\nacct-1 e-1\n', undefined)).toMatchObject([
      { key: 'acct-1:e-1', status: 'accepted', tag: 'all' },
    ]);
    expect(parseRunFile('e-2\n', 'acct-9')).toMatchObject([{ key: 'acct-9:e-2' }]);
  });

  it('names the first line it cannot read', () => {
    expect(() => parseRunFile('acct-1 e-1\njust-one-token\n')).toThrow(/line 2 .*--account/);
  });
});
