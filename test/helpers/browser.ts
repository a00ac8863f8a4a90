/**
 * A real browser for the stack tests: Debian's Chromium driven by playwright-core (its own browser
 * download needs the internet; CI installs `chromium` with apt), and a page served from an origin of
 * its own (a static server on another port), so every request it makes to the API is cross-origin
 * exactly as from a customer's website.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium; fails, naming the fix, when the machine has none (never skips). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (.ci/run does)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

export interface SiteOnAnotherOrigin {
  /** `http://127.0.0.1:<port>`: not the API's origin. */
  origin: string;
  close(): Promise<void>;
}

/** Serves one empty HTML page at `/` on a free port. */
export async function siteOnAnotherOrigin(): Promise<SiteOnAnotherOrigin> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html><head><title>shop</title></head><body>shop</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A page of the site, open in the browser. */
export async function openPage(browser: Browser, site: SiteOnAnotherOrigin): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/`);
  return page;
}
