/**
 * The dashboard page in real headless Chromium (Debian's `chromium`, driven by playwright-core; never a
 * downloaded browser) against the real local stack: sign in with a read key, the history loads, events
 * posted through the ingest API appear in the feed, the counts by type and the chart; another account's
 * never do; the feed
 * filters and pauses; after a dropped connection the page reconnects and fills the gap; no console
 * errors; neither the key nor the token in a URL. Screenshots at laptop and phone widths are saved under
 * `.local/screenshots/` (`.ci/run` prints where).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Browser, type ConsoleMessage, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BY_ACCOUNT_INDEX } from '../../lambdas/ws-broadcast/connections.js';
import type { DevAccount } from '../../local/accounts.js';
import { LOCAL_DIR } from '../../local/local-aws.js';
import { localDynamoDb } from '../../local/services/local-clients.js';
import {
  eventually,
  getSummary,
  givenAnAccount,
  type Json,
  localStack,
  postEvents,
  searchAccountEvents,
} from '../helpers/local-stack-client.js';

/** Debian's chromium (`.ci/run` installs it); override with CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS_DIR = join(LOCAL_DIR, 'screenshots');
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * What the callbacks run in the page touch, typed here: this file is compiled without the DOM library
 * (the project's code runs on Node), and the page's own code is type-checked with it.
 */
type PageElement = { dataset: Record<string, string | undefined> };
type PageGlobals = {
  sessionStorage: { length: number; key(index: number): string | null; getItem(key: string): string | null };
  localStorage: { length: number };
  document: { documentElement: { scrollWidth: number } };
  innerWidth: number;
};

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/**
 * A page, with every console error and uncaught exception it produces recorded, and its requests for
 * live tokens; `clockSkewMs` sets the browser's clock that far off the server's.
 */
async function openPage(viewport: { width: number; height: number }, clockSkewMs = 0) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  const socketUrls: string[] = [];
  const tokenRequests: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('websocket', (socket) => socketUrls.push(socket.url()));
  page.on('request', (request) => {
    if (request.url().includes('/v1/live-tokens')) tokenRequests.push(request.method());
  });
  if (clockSkewMs !== 0)
    await page.addInitScript(`{ const now = Date.now; Date.now = () => now() + ${clockSkewMs}; }`);
  await page.goto(localStack().dashboardUrl);
  return { context, page, errors, socketUrls, tokenRequests };
}

async function signIn(page: Page, account: DevAccount): Promise<void> {
  await page.fill('#read-key', account.readKey);
  await page.click('#sign-in-button');
  await page.waitForSelector('#status[data-state="live"]', { timeout: 30_000 });
}

/** A new account, and its dashboard open at laptop width, signed in and live. */
async function givenASignedInDashboard(clockSkewMs = 0) {
  const account = await givenAnAccount();
  const opened = await openPage(LAPTOP, clockSkewMs);
  await signIn(opened.page, account);
  return { account, ...opened };
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(SCREENSHOTS_DIR, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`[dashboard] screenshot: ${path}`);
}

/** Events of a few types and users, each marked with this run's id so nothing else can match. */
function eventsFor(
  run: string,
  count: number,
  overrides: Record<string, unknown> = {},
): Record<string, Json>[] {
  const types = ['page_view', 'page_view', 'login', 'signup'];
  const paths = ['/', '/pricing', '/docs', '/blog/launch'];
  return Array.from({ length: count }, (_, index) => ({
    event_id: `${run}-${index}`,
    type: types[index % types.length],
    user_id: `user-${index % 3}`,
    path: paths[index % paths.length],
    ...overrides,
  }));
}

const datasets = (page: Page, selector: string) =>
  page.$$eval(selector, (elements) =>
    elements.map((element) => ({ ...(element as unknown as PageElement).dataset })),
  );

/**
 * An hour of history: varied types, eight users, six pages, one event every 55 seconds back from now
 * (all inside the chart's last hour).
 */
function historyFor(run: string, count: number): Record<string, Json>[] {
  const types = ['page_view', 'page_view', 'page_view', 'search', 'login', 'signup', 'purchase'];
  const paths = ['/', '/pricing', '/docs', '/docs/api', '/blog/launch', '/checkout'];
  const now = Date.now();
  return Array.from({ length: count }, (_, index) => ({
    event_id: `${run}-${index}`,
    type: types[index % types.length],
    user_id: `user-${index % 8}`,
    path: paths[(index * 5) % paths.length],
    timestamp: new Date(now - (index + 1) * 55_000).toISOString(),
  }));
}

function countByType(events: Record<string, Json>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return counts;
}

const feedIds = async (page: Page) => (await datasets(page, '#feed-rows tr')).map((row) => row.eventId ?? '');

/**
 * Resolves once the render a UI action queued is done: the page renders on the next animation frame, so
 * two frames later it has. (A string: the tests are type-checked without the DOM library.)
 */
const rendered = (page: Page) =>
  page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');

const feedTypes = async (page: Page) => (await datasets(page, '#feed-rows tr')).map((row) => row.type ?? '');

const chipCounts = async (page: Page) =>
  Object.fromEntries(
    (await datasets(page, '#type-counts li')).map((chip) => [chip.type, Number(chip.count)]),
  );

describe('the dashboard page', () => {
  it('shows an account its history, then its live events in the feed, the counts and the chart, and nobody else’s', async () => {
    // Given two accounts, the first with an hour of history (counted and searchable), its dashboard signed in
    const [account, other] = [await givenAnAccount(), await givenAnAccount()];
    const run = `page-${Date.now()}`;
    const history = historyFor(`${run}-history`, 60);
    expect((await postEvents(account.writeKey, history)).status).toBe(202);
    await eventually(
      () => getSummary(account.accountId, account.readKey),
      (summary) => summary.body?.total_events === history.length,
    );
    await eventually(
      () => searchAccountEvents(account.accountId),
      (documents) => documents.length === history.length,
    );
    const { context, page, errors, socketUrls } = await openPage(LAPTOP);
    await signIn(page, account);

    // Then the chart, the counts and the summary start from the history
    await eventually(
      () => page.getAttribute('#chart', 'data-total'),
      (total) => total === String(history.length),
    );
    expect(await chipCounts(page)).toEqual(countByType(history));
    expect(await page.textContent('#stat-users')).toBe('8');

    // When both accounts post events through the ingest API
    const mine = eventsFor(run, 24);
    const theirs = eventsFor(`${run}-other`, 10, { type: 'intruder_only', user_id: 'intruder' });
    expect((await postEvents(account.writeKey, mine)).status).toBe(202);
    expect((await postEvents(other.writeKey, theirs)).status).toBe(202);

    // Then the feed shows every one of the new events, and only the account's own…
    const shown = await eventually(
      () => feedIds(page),
      (ids) => mine.every((event) => ids.includes(event.event_id)),
    );
    const own = new Set([...history, ...mine].map((event) => event.event_id));
    expect(mine.every((event) => shown.includes(event.event_id))).toBe(true);
    expect(shown.filter((id) => !own.has(id))).toEqual([]);
    // …the counts by type and the chart count them on top of the history…
    const all = [...history, ...mine];
    const expectedByType = countByType(all);
    expect(
      await eventually(
        () => chipCounts(page),
        (counts) => counts.page_view === expectedByType.page_view,
      ),
    ).toEqual(expectedByType);
    expect(await page.textContent('#stat-total')).toBe(String(all.length));
    expect(await page.getAttribute('#chart', 'data-total')).toBe(String(all.length));
    expect(await page.textContent('#chart-summary')).toContain(`${all.length} events in the last hour`);
    expect(await page.locator('#chart canvas').count()).toBe(1);
    // …and the 24-hour summary, read again once the burst has settled, ranks the pages they viewed.
    const topPaths = await eventually(
      () => page.$$eval('#top-paths .name', (names) => names.map((name) => name.textContent)),
      (names) => names[0] === '/' && names[1] === '/pricing',
    );
    expect(topPaths.slice(0, 2)).toEqual(['/', '/pricing']);
    expect(await page.textContent('#top-users')).toContain('user-0');
    // The other account's events appear nowhere on the page.
    const body = (await page.textContent('body')) ?? '';
    expect(body).not.toContain('intruder');
    expect(shown.some((id) => id.includes('-other-'))).toBe(false);
    // Neither the read key nor the token is in the page's URL; the WebSocket has the token, never the key.
    expect(page.url()).not.toContain(account.readKey);
    expect(page.url()).not.toContain('lt_');
    expect(socketUrls.length).toBeGreaterThan(0);
    expect(socketUrls.every((url) => url.includes('token=lt_') && !url.includes(account.readKey))).toBe(true);
    // The tab keeps the token (sessionStorage), never the key; nothing persists beyond the tab.
    const storage = await page.evaluate(() => {
      const { sessionStorage, localStorage } = globalThis as unknown as PageGlobals;
      const kept = Array.from({ length: sessionStorage.length }, (_, index) => {
        const key = sessionStorage.key(index) ?? '';
        return [key, sessionStorage.getItem(key)];
      });
      return { session: JSON.stringify(kept), local: localStorage.length };
    });
    expect(storage.session).toContain('lt_');
    expect(storage.session).not.toContain(account.readKey);
    expect(storage.local).toBe(0);
    // Once the rollups are read again (after the burst settled), the counts are still exact: nothing
    // pushed is counted twice.
    await page.waitForTimeout(8_000);
    expect(await chipCounts(page)).toEqual(expectedByType);
    expect(await page.textContent('#stat-total')).toBe(String(all.length));
    expect(await page.getAttribute('#chart', 'data-total')).toBe(String(all.length));
    expect(errors).toEqual([]);

    await screenshot(page, 'dashboard-laptop.png');
    await context.close();
  });

  it('filters the feed by type and user, pauses it, and draws one chart after signing in again', async () => {
    // Given a signed-in dashboard with events
    const { account, context, page, errors } = await givenASignedInDashboard();
    const run = `filter-${Date.now()}`;
    const events = eventsFor(run, 12);
    await postEvents(account.writeKey, events);
    await eventually(
      () => feedIds(page),
      (ids) => ids.length >= 12,
    );

    // When filtered by type, then by user as well
    await page.selectOption('#filter-type', 'login');
    await rendered(page);
    const logins = await feedTypes(page);
    await page.fill('#filter-user', 'user-1');
    await rendered(page);
    const loginsOfUser1 = await feedIds(page);

    // Then only matching events show
    expect(logins).toEqual(Array(3).fill('login'));
    expect(loginsOfUser1).toEqual(
      events
        .filter((event) => event.type === 'login' && event.user_id === 'user-1')
        .map((event) => event.event_id),
    );

    // When paused, new events wait, counted, and show on resume
    await page.selectOption('#filter-type', '');
    await page.fill('#filter-user', '');
    await page.click('#pause');
    await rendered(page);
    const before = await feedIds(page);
    const later = eventsFor(`${run}-later`, 5);
    await postEvents(account.writeKey, later);
    const button = await eventually(
      () => page.textContent('#pause'),
      (text) => text === 'Resume (5 new)',
    );
    expect(button).toBe('Resume (5 new)');
    expect(await feedIds(page)).toEqual(before);
    await page.click('#pause');
    await rendered(page);
    expect(await feedIds(page)).toEqual(expect.arrayContaining(later.map((event) => event.event_id)));

    // When signed out and in again, twice, in the same tab
    for (let round = 0; round < 2; round += 1) {
      await page.click('#sign-out');
      await signIn(page, account);
    }
    await rendered(page);

    // Then one chart shows, not one per sign-in
    expect(await page.locator('#chart .uplot').count()).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('reconnects after its connection drops and fills the gap from /events, in a browser whose clock is 58 minutes ahead', async () => {
    // Given a signed-in dashboard, in a browser whose clock is ahead by most of a live token's hour
    const { account, context, page, errors, tokenRequests } = await givenASignedInDashboard(58 * 60_000);
    const run = `gap-${Date.now()}`;

    // When the network goes away and the server closes the connection, events are posted meanwhile,
    // and the network comes back
    await context.setOffline(true);
    await closeConnectionsOf(account.accountId);
    await page.waitForSelector('#status[data-state="waiting"]', { timeout: 15_000 });
    const missed = eventsFor(run, 6);
    expect((await postEvents(account.writeKey, missed)).status).toBe(202);
    const errorsBeforeOnline = errors.length;
    await context.setOffline(false);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 60_000 });

    // Then the events posted while it was away show, each once
    const shown = await eventually(
      () => feedIds(page),
      (ids) => missed.every((event) => ids.includes(event.event_id)),
    );
    expect(shown.filter((id) => id.startsWith(run)).sort()).toEqual(
      missed.map((event) => event.event_id).sort(),
    );
    // The only errors are the browser's own, about the attempts it made while offline.
    expect(errors.slice(0, errorsBeforeOnline).every((text) => /ERR_INTERNET_DISCONNECTED/.test(text))).toBe(
      true,
    );
    expect(
      errors.slice(errorsBeforeOnline).filter((text) => !/ERR_INTERNET_DISCONNECTED/.test(text)),
    ).toEqual([]);

    // And it keeps working live
    const after = eventsFor(`${run}-after`, 3);
    await postEvents(account.writeKey, after);
    await eventually(
      () => feedIds(page),
      (ids) => after.every((event) => ids.includes(event.event_id)),
    );
    // With one token: the clock's skew did not make it look about to expire, renewed again and again.
    expect(tokenRequests).toEqual(['POST']);
    await context.close();
  });

  it('reads at a glance at phone width, in a browser whose clock is 20 minutes behind', async () => {
    // Given an account with events (searchable by now), and its dashboard on a phone-sized screen whose
    // clock is behind the server's
    const account = await givenAnAccount();
    await postEvents(account.writeKey, eventsFor(`phone-${Date.now()}`, 16));
    await eventually(
      () => searchAccountEvents(account.accountId),
      (documents) => documents.length >= 16,
    );
    const { context, page, errors } = await openPage(PHONE, -20 * 60_000);
    await signIn(page, account);

    // Then the history loads, the chart's last hour is the server's (the events are in it, not in its
    // future), nothing is wider than the screen, and nothing went wrong
    await eventually(
      () => feedIds(page),
      (ids) => ids.length >= 16,
    );
    expect(
      await eventually(
        () => page.getAttribute('#chart', 'data-total'),
        (total) => total === '16',
      ),
    ).toBe('16');
    const overflow = await page.evaluate(() => {
      const { document, innerWidth } = globalThis as unknown as PageGlobals;
      return document.documentElement.scrollWidth - innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await screenshot(page, 'dashboard-phone.png');
    await context.close();
  });
});

/** Closes every WebSocket connection of the account from the server side, as API Gateway can at any time. */
async function closeConnectionsOf(accountId: string): Promise<void> {
  const stack = localStack();
  const dynamo = DynamoDBDocumentClient.from(
    localDynamoDb(stack.dynamodbUrl, { region: stack.region, maxAttempts: 3 }),
  );
  try {
    const { Items = [] } = await dynamo.send(
      new QueryCommand({
        TableName: stack.connectionsTableName,
        IndexName: BY_ACCOUNT_INDEX,
        KeyConditionExpression: 'accountId = :accountId',
        ExpressionAttributeValues: { ':accountId': accountId },
      }),
    );
    expect(Items.length).toBeGreaterThan(0);
    const management = `${stack.websocketUrl.replace(/^ws/, 'http')}/prod/@connections`;
    for (const item of Items) {
      const response = await fetch(`${management}/${encodeURIComponent(String(item.connectionId))}`, {
        method: 'DELETE',
      });
      expect(response.status).toBe(204);
    }
  } finally {
    dynamo.destroy();
  }
}
