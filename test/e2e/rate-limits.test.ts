/**
 * Per-key rate limits through the local REST gateway, as API Gateway's usage plans apply them: a key
 * over its burst is answered 429 with `Retry-After` and the `X-RateLimit-*` headers before any function
 * runs, while another account's key, posting at the same time, is never throttled; the limited key
 * works again once its bucket refills. Reads the same way: a read key and the live tokens of its
 * sessions share one bucket, and another account's reads go on. Events are limited per key too, by
 * ingest (a request's limit counts 1 event and 500 alike): a key over its event limit gets a 429 naming
 * it, and nothing of that request is written.
 */
import { describe, expect, it } from 'vitest';
import {
  eventually,
  getSummary,
  givenAnAccount,
  liveToken,
  localStack,
  postEvents,
  restUrl,
  searchAccountEvents,
  someEvents,
} from '../helpers/local-stack-client.js';

async function post(key: string): Promise<Response> {
  return fetch(localStack().ingestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ type: 'page_view' }),
  });
}

describe('per-key rate limits', () => {
  it("throttles one key's flood without throttling another account's key", async () => {
    // Given a key limited to 1 request per second in bursts of 3, and another account's key with the defaults
    const limited = await givenAnAccount({ rateLimit: 1, burstLimit: 3 });
    const other = await givenAnAccount();

    // When both post 10 requests at once
    const [flood, neighbour] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, () => post(limited.writeKey))),
      Promise.all(Array.from({ length: 10 }, () => post(other.writeKey))),
    ]);

    // Then the limited key gets its burst through and 429s for the rest, with the headers clients read
    const statuses = flood.map((response) => response.status);
    expect(statuses.filter((status) => status === 202).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((status) => status === 202).length).toBeLessThanOrEqual(4);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(6);
    const throttled = flood.find((response) => response.status === 429) as Response;
    expect(
      Object.fromEntries(
        ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].map((name) => [
          name,
          throttled.headers.get(name),
        ]),
      ),
    ).toEqual({
      'retry-after': '1',
      'x-ratelimit-limit': '1',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '1',
    });
    expect(await throttled.json()).toEqual({ message: expect.stringMatching(/rate limit/) });
    // And the other account's key was never throttled
    expect(neighbour.map((response) => response.status)).toEqual(Array(10).fill(202));

    // When the limited key waits what Retry-After says
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // Then it is served again
    expect((await post(limited.writeKey)).status).toBe(202);
  });

  it("throttles one read key and its live token in one bucket without throttling another account's reads", async () => {
    // Given an account limited to 1 request per second in bursts of 5, signed in with a live token
    // (one request of the burst), and another account with the default limits
    const limited = await givenAnAccount({ rateLimit: 1, burstLimit: 5 });
    const other = await givenAnAccount();
    const token = await liveToken(limited.readKey);
    const read = (accountId: string, headers: Record<string, string>) =>
      fetch(`${restUrl()}/v1/accounts/${accountId}/summary?window=last_24h&allow_empty=true`, { headers });

    // When the limited account reads 10 times with the token and 10 times with the key, at once,
    // while the other account reads 10 times
    const [byToken, byKey, neighbour] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, () => read(limited.accountId, { 'x-live-token': token }))),
      Promise.all(
        Array.from({ length: 10 }, () => read(limited.accountId, { 'x-api-key': limited.readKey })),
      ),
      Promise.all(Array.from({ length: 10 }, () => read(other.accountId, { 'x-api-key': other.readKey }))),
    ]);

    // Then the token and the key drew on one bucket: what is left of its burst (4), and a token or two
    // refilled meanwhile, not a burst each (which would let 9 or more through)
    const statuses = [...byToken, ...byKey].map((response) => response.status);
    const served = statuses.filter((status) => status === 200).length;
    expect(served).toBeGreaterThanOrEqual(4);
    expect(served).toBeLessThanOrEqual(7);
    expect(statuses.filter((status) => status === 429).length).toBe(20 - served);
    // And the other account read every time
    expect(neighbour.map((response) => response.status)).toEqual(Array(10).fill(200));
  });
});

describe('per-key event limits', () => {
  it("refuses a key's events beyond its event burst with a 429 to resend, while another account's full requests go through, and loses none", async () => {
    // Given a key of 10 events per second in bursts of 1,000 (request limits far from binding), and
    // another account's key with the default event limits (500 a second, bursts of 1,000)
    const flooder = await givenAnAccount({
      rateLimit: 100,
      burstLimit: 100,
      eventRateLimit: 10,
      eventBurstLimit: 1000,
    });
    const bystander = await givenAnAccount();

    // When the first posts five full requests at once (2,500 events), while the second posts two
    const [flood, neighbour] = await Promise.all([
      Promise.all(Array.from({ length: 5 }, () => postEvents(flooder.writeKey, someEvents(500)))),
      Promise.all(Array.from({ length: 2 }, () => postEvents(bystander.writeKey, someEvents(500)))),
    ]);

    // Then the flooder's burst (two requests) is accepted and the rest refused with a 429 that says
    // when to resend and by which limit; at 10 events a second nothing refills meanwhile
    const statuses = flood.map((result) => result.status).sort();
    expect(statuses).toEqual([202, 202, 429, 429, 429]);
    for (const refused of flood.filter((result) => result.status === 429)) {
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get('x-ratelimit-limit')).toBe('10');
      expect(refused.headers.get('x-ratelimit-reset')).toBe(refused.headers.get('retry-after'));
      expect(refused.body).toMatchObject({
        message: expect.stringContaining('event limit (10 events per second, bursts of 1000)'),
        accepted: 0,
        event_rate_limit: 10,
        event_burst_limit: 1000,
      });
    }
    // And the other account's requests were never refused
    expect(neighbour.map((result) => result.status)).toEqual([202, 202]);

    // And exactly what was accepted is indexed and counted: a refused request wrote nothing
    const indexed = await eventually(
      () => searchAccountEvents(flooder.accountId),
      (docs) => docs.length >= 1000,
    );
    expect(indexed).toHaveLength(1000);
    const summary = await eventually(
      () => getSummary(flooder.accountId, flooder.readKey),
      (result) => (result.body as { total_events?: number }).total_events === 1000,
    );
    expect(summary.body).toMatchObject({ total_events: 1000 });
    expect(await searchAccountEvents(bystander.accountId)).toHaveLength(1000);
  });

  it('admits a refused request again once its Retry-After has passed', async () => {
    // Given a key of 500 events per second in bursts of 500 that has just sent its burst
    const key = await givenAnAccount({ eventRateLimit: 500, eventBurstLimit: 500 });
    const events = someEvents(500);
    expect((await postEvents(key.writeKey, someEvents(500))).status).toBe(202);

    // When it sends another full request at once, it is refused for a second
    const refused = await postEvents(key.writeKey, events);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');

    // Then the same events, resent after Retry-After, are accepted
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const resent = await postEvents(key.writeKey, events);
    expect(resent).toMatchObject({ status: 202, body: { accepted: 500 } });
  });

  it('answers a request of more events than its key may ever send at once with a 413 naming the burst', async () => {
    // Given a key whose event burst is under a full request (set by hand in the table)
    const key = await givenAnAccount({ eventRateLimit: 100, eventBurstLimit: 100 });

    // When it posts 101 events
    const answer = await postEvents(key.writeKey, someEvents(101));

    // Then no wait would help: a 413 says how many one request may carry
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      message: expect.stringContaining('send at most 100 events per request'),
    });
    expect((await postEvents(key.writeKey, someEvents(100))).status).toBe(202);
  });
});
