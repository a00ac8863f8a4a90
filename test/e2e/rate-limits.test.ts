/**
 * Per-key rate limits through the local REST gateway, as API Gateway's usage plans apply them: a key
 * over its burst is answered 429 with `Retry-After` and the `X-RateLimit-*` headers before any function
 * runs, while another account's key, posting at the same time, is never throttled; the limited key
 * works again once its bucket refills. Reads the same way: a read key and the live tokens of its
 * sessions share one bucket, and another account's reads go on.
 */
import { describe, expect, it } from 'vitest';
import { givenAnAccount, liveToken, localStack, restUrl } from '../helpers/local-stack-client.js';

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
