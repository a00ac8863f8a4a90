/**
 * The dashboard page in the local stack, served as CloudFront serves it when deployed
 * (`lib/constructs/dashboard-site.ts`): the built page with its security headers, a `config.json` naming
 * the WebSocket API, and the REST API proxied under `/v1/` so the page calls its own origin (no CORS,
 * and the same page works unchanged in both places).
 *
 * Its log lines name a method and a path, never a query string or a header: requests carry live tokens.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { buildDashboard } from '../dashboard/build.js';
import {
  ASSETS_DIR,
  CACHE_CONTROL,
  CONFIG_FILE,
  contentSecurityPolicy,
  type DashboardConfig,
  SECURITY_HEADERS,
} from '../dashboard/hosting.js';
import { openLogFile, teeLog } from './logs.js';

export interface DashboardServerOptions {
  port: number;
  host: string;
  /** The built page (`dashboard/build.ts`). */
  siteDir: string;
  /** Where `/v1/*` goes: the local REST gateway, `http://host:port`. */
  restUrl: string;
  /** What the page connects to: the local WebSocket gateway, `ws://host:port`. */
  websocketUrl: string;
  /** Its log goes to `dashboard.log` here, and, prefixed `[dashboard]`, to `console`. */
  logsDir: string;
  console: (line: string) => void;
}

export interface DashboardServer {
  /** `http://host:port/`: open it in a browser. */
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Request headers not passed on to the REST gateway (hop-by-hop, or the proxy's own). */
const NOT_FORWARDED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

/** Builds the page into the stack's data folder (each stack its own copy); returns the folder. */
export async function buildLocalDashboard(dataDir: string): Promise<string> {
  const siteDir = resolve(dataDir, 'dashboard');
  await buildDashboard(siteDir);
  return siteDir;
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const siteDir = resolve(options.siteDir);
  const logFile = openLogFile(join(options.logsDir, 'dashboard.log'));
  const log = teeLog(logFile, '[dashboard]', options.console);
  const config: DashboardConfig = { apiBaseUrl: '', websocketUrl: options.websocketUrl };
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Security-Policy': contentSecurityPolicy(options.websocketUrl),
  };
  const rest = new URL(options.restUrl);

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path === '/v1' || path.startsWith('/v1/')) {
      proxy(request, response, rest, log);
      return;
    }
    request.resume();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(
        response,
        405,
        { ...headers, Allow: 'GET, HEAD' },
        'text/plain; charset=utf-8',
        'Method Not Allowed',
      );
      return;
    }
    if (path === `/${CONFIG_FILE}`) {
      send(
        response,
        200,
        { ...headers, 'Cache-Control': 'no-store' },
        CONTENT_TYPES['.json'],
        JSON.stringify(config),
      );
      return;
    }
    serveFile(siteDir, path, response, headers).catch((error: unknown) => {
      log(`GET ${path.slice(0, 200)} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent)
        send(response, 500, headers, 'text/plain; charset=utf-8', 'Internal Server Error');
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    await logFile.close();
    throw error;
  }
  server.on('error', (error) => log(`server error: ${error.message}`));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/`,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await logFile.close();
    },
  };
}

/** A file of the built page; `/` is `index.html`; nothing outside the folder is reachable. */
async function serveFile(
  siteDir: string,
  path: string,
  response: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path === '/' ? '/index.html' : path);
  } catch {
    send(response, 400, headers, 'text/plain; charset=utf-8', 'Bad Request');
    return;
  }
  const file = normalize(join(siteDir, decoded));
  const info = file.startsWith(siteDir + sep) ? await stat(file).catch(() => undefined) : undefined;
  if (!info?.isFile()) {
    send(response, 404, headers, 'text/plain; charset=utf-8', 'Not Found');
    return;
  }
  response.writeHead(200, {
    ...headers,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    // By where the file is, not by how the path reads (`/assets/..%2findex.html` is the page).
    'Cache-Control': file.startsWith(join(siteDir, ASSETS_DIR) + sep)
      ? CACHE_CONTROL.asset
      : CACHE_CONTROL.page,
  });
  createReadStream(file).pipe(response);
}

/** Passes a `/v1/*` request to the REST gateway as it is, and its answer back. */
function proxy(
  request: IncomingMessage,
  response: ServerResponse,
  rest: URL,
  log: (line: string) => void,
): void {
  const forwarded = Object.fromEntries(
    Object.entries(request.headers).filter(([name]) => !NOT_FORWARDED.has(name.toLowerCase())),
  );
  const upstream = httpRequest(
    { host: rest.hostname, port: rest.port, method: request.method, path: request.url, headers: forwarded },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', (error) => {
    log(
      `${request.method} ${(request.url ?? '').split('?')[0]?.slice(0, 200)} proxy failed: ${error.message}`,
    );
    if (!response.headersSent) {
      send(response, 502, {}, 'application/json', JSON.stringify({ message: 'REST API unreachable' }));
    } else response.destroy();
  });
  request.pipe(upstream);
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  contentType: string | undefined,
  body: string,
): void {
  response.writeHead(status, {
    ...headers,
    'Content-Type': contentType ?? 'text/plain',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(body);
}
