/**
 * The local stand-in for CloudFront in front of the dashboard (`local/dashboard-server.ts`): the built
 * page with the security headers the distribution sends, `config.json`, `/v1/*` passed to the REST API
 * as it is (headers, body, status), nothing outside the page's folder, and no query string in its log.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardServer, startDashboardServer } from '../../local/dashboard-server.js';

let dir: string;
let upstream: Server;
let server: DashboardServer;
const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-server-'));
  await mkdir(join(dir, 'site', 'assets'), { recursive: true });
  await writeFile(join(dir, 'site', 'index.html'), '<!doctype html><title>page</title>');
  await writeFile(join(dir, 'site', 'assets', 'app-1a2b.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'outside the site');
  upstream = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body });
      response.writeHead(201, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end('{"token":"lt_x"}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  server = await startDashboardServer({
    port: 0,
    host: '127.0.0.1',
    siteDir: join(dir, 'site'),
    restUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    websocketUrl: 'ws://127.0.0.1:4001',
    logsDir: join(dir, 'logs'),
    console: () => undefined,
  });
});

afterAll(async () => {
  await server.close();
  await new Promise((resolve) => upstream.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('the local dashboard server', () => {
  it('serves the page with the security policy of the deployed site', async () => {
    const response = await fetch(server.url);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain(
      "connect-src 'self' ws://127.0.0.1:4001",
    );
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await response.text()).toContain('<title>page</title>');
  });

  it('names the WebSocket API in config.json, uncached, and caches hashed assets for good', async () => {
    const config = await fetch(`${server.url}config.json`);
    const asset = await fetch(`${server.url}assets/app-1a2b.js`);
    // The page by a path that reads as an asset's: cached as the page is, by what the file is.
    const page = await fetch(`${server.url}assets/..%2findex.html`);

    expect(await config.json()).toEqual({ apiBaseUrl: '', websocketUrl: 'ws://127.0.0.1:4001' });
    expect(config.headers.get('cache-control')).toBe('no-store');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
  });

  it('passes /v1/* to the REST API with method, path, query, headers and body, and its answer back', async () => {
    const response = await fetch(`${server.url}v1/live-tokens?x=1`, {
      method: 'POST',
      headers: { 'x-api-key': 'rk_secret', 'content-type': 'text/plain' },
      body: 'hello',
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ token: 'lt_x' });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/v1/live-tokens?x=1',
      headers: expect.objectContaining({ 'x-api-key': 'rk_secret' }),
      body: 'hello',
    });
  });

  it('answers 404 outside the page and 405 to anything but GET or HEAD, naming those', async () => {
    const statuses = await Promise.all([
      fetch(`${server.url}%2e%2e/secret.txt`).then((response) => response.status),
      fetch(`${server.url}..%2fsecret.txt`).then((response) => response.status),
      fetch(`${server.url}missing.js`).then((response) => response.status),
      fetch(server.url, { method: 'POST' }).then((response) => response.status),
    ]);

    expect(statuses).toEqual([404, 404, 404, 405]);
    expect((await fetch(server.url, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 502 when the REST API is unreachable, logging the method and path only', async () => {
    // Prepare: a server whose REST API refuses connections
    const lines: string[] = [];
    const unreachable = await startDashboardServer({
      port: 0,
      host: '127.0.0.1',
      siteDir: join(dir, 'site'),
      restUrl: 'http://127.0.0.1:1',
      websocketUrl: 'ws://127.0.0.1:4001',
      logsDir: join(dir, 'logs-unreachable'),
      console: (line) => lines.push(line),
    });

    // Act
    const response = await fetch(`${unreachable.url}v1/accounts/a/summary?token=lt_secret`, {
      headers: { 'x-live-token': 'lt_secret' },
    });
    await unreachable.close();

    // Assess
    expect(response.status).toBe(502);
    const log = await readFile(join(dir, 'logs-unreachable', 'dashboard.log'), 'utf8');
    expect(log).toContain('GET /v1/accounts/a/summary proxy failed');
    expect(`${log}${lines.join('\n')}`).not.toContain('lt_secret');
  });
});
