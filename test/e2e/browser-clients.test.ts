/**
 * Browsers as clients, in a real Chromium, from a page on another origin: `fetch` with the key in a
 * header (a CORS preflight first), a gzip body from `CompressionStream`, `navigator.sendBeacon` with the
 * key in the query string (no headers, no preflight: a `text/plain` body), and an error the page can
 * read (CORS headers on the gateway's own 401). Then every event sent is searchable. And a page
 * reads its account's stats with a live token in its own header (a preflight that must allow it).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_TOKENS_ROUTE } from '../../lambdas/stats/routes.js';
import {
  launchChromium,
  openPage,
  type SiteOnAnotherOrigin,
  siteOnAnotherOrigin,
} from '../helpers/browser.js';
import { documentsOnceIndexed } from '../helpers/ingest-client.js';
import { givenAnAccount, localStack, restUrl } from '../helpers/local-stack-client.js';

let browser: Browser;
let site: SiteOnAnotherOrigin;
let page: Page;

beforeAll(async () => {
  [browser, site] = await Promise.all([launchChromium(), siteOnAnotherOrigin()]);
  page = await openPage(browser, site);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('a web page on another origin', () => {
  it('posts with fetch, gzip and sendBeacon, reads a 401, and every event it sent is indexed', async () => {
    // Given an account whose write key sits in the page
    const account = await givenAnAccount();
    const { ingestUrl } = localStack();
    expect(new URL(ingestUrl).origin).not.toBe(site.origin);

    // When the page sends events the three ways a browser can, and once without a key
    const results = await page.evaluate(
      async ({ url, key }) => {
        const post = async (body: string | ArrayBuffer, headers: Record<string, string>) => {
          const response = await fetch(url, { method: 'POST', headers, body });
          // A page reads an answer only when it carries CORS headers: a status here proves them.
          return { status: response.status, body: await response.json() };
        };
        const fetched = await post(
          JSON.stringify({ events: [{ type: 'page_view', event_id: 'from-fetch' }] }),
          {
            'content-type': 'application/json',
            'x-api-key': key,
          },
        );
        const json = JSON.stringify({
          type: 'page_view',
          event_id: 'from-gzip',
          properties: { pad: 'x'.repeat(2000) },
        });
        const gzipped = await new Response(
          new Blob([json]).stream().pipeThrough(new CompressionStream('gzip')),
        ).arrayBuffer();
        const compressed = await post(gzipped, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'x-api-key': key,
        });
        // The page's navigator (this function runs in the browser; the project's types are Node's).
        const { navigator } = globalThis as unknown as {
          navigator: { sendBeacon(url: string, data: string): boolean };
        };
        const beaconQueued = navigator.sendBeacon(
          `${url}?key=${encodeURIComponent(key)}`,
          JSON.stringify({ events: [{ type: 'page_leave', event_id: 'from-beacon' }] }),
        );
        const keyless = await post(JSON.stringify({ type: 'page_view' }), {
          'content-type': 'application/json',
        });
        return { fetched, compressed, beaconQueued, keyless };
      },
      { url: ingestUrl, key: account.writeKey },
    );

    // Then the page could read every answer, the 401 included
    expect(results.fetched).toEqual({
      status: 202,
      body: { accepted: 1, duplicates: 0, rejected: [] },
    });
    expect(results.compressed).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(results.beaconQueued).toBe(true);
    expect(results.keyless).toMatchObject({
      status: 401,
      body: { message: expect.stringMatching(/API key/) },
    });

    // And every event is searchable, the beacon's too
    const documents = await documentsOnceIndexed(account.accountId, 3);
    expect(documents.map((document) => document.source.event_id).sort()).toEqual([
      'from-beacon',
      'from-fetch',
      'from-gzip',
    ]);
  });

  it('reads its account with a live token: the read key once, then the token in its own header', async () => {
    // Given an account whose read key the page holds
    const account = await givenAnAccount();
    const base = restUrl();

    // When the page trades the key for a live token and reads the summary with the token alone
    const results = await page.evaluate(
      async ({ tokensUrl, summaryUrl, key }) => {
        const tokenAnswer = await fetch(tokensUrl, { method: 'POST', headers: { 'x-api-key': key } });
        const { token } = (await tokenAnswer.json()) as { token: string };
        const summary = await fetch(summaryUrl, { headers: { 'x-live-token': token } });
        return { tokenStatus: tokenAnswer.status, summaryStatus: summary.status, body: await summary.json() };
      },
      {
        tokensUrl: `${base}${LIVE_TOKENS_ROUTE}`,
        summaryUrl: `${base}/v1/accounts/${account.accountId}/summary?window=last_24h&allow_empty=true`,
        key: account.readKey,
      },
    );

    // Then the browser let the page send the token header (preflight) and read both answers
    expect(results.tokenStatus).toBe(201);
    expect(results).toMatchObject({ summaryStatus: 200, body: { account_id: account.accountId } });
  });
});
