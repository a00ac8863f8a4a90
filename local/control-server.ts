/**
 * The local stack's control API, for tests and operators (never part of the emulated AWS): what runs,
 * and a way to hurt it on purpose. Bound to the loopback interface.
 *
 *   GET  /services                              name, url, pid, state, starts of each server
 *   POST /services/<name>/signal?signal=SIGKILL  SIGKILL / SIGSTOP / SIGCONT / SIGTERM a server
 *   GET  /functions                             execution environments of each function
 *   POST /functions/<id>/signal?signal=SIGKILL   signal its environments (`&state=busy`: only busy ones)
 *   GET  /mappings                              stats of each event source mapping
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KinesisEventSourceMapping } from './event-source-mapping/kinesis-event-source-mapping.js';
import { requestUrl } from './gateway/http-event.js';
import type { FunctionHost } from './runtime/function-host.js';
import type { SupervisedService } from './services/supervisor.js';

const SIGNALS = new Set<NodeJS.Signals>(['SIGKILL', 'SIGSTOP', 'SIGCONT', 'SIGTERM']);

export interface ControlTargets {
  services: Record<string, SupervisedService>;
  functions: Record<string, FunctionHost>;
  mappings: Record<string, KinesisEventSourceMapping>;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export async function startControlServer(
  targets: ControlTargets,
  options: { port: number; host: string; log: (line: string) => void },
): Promise<ControlServer> {
  const server = createServer((request, response) => {
    request.resume();
    const url = requestUrl(request);
    if (!url) return send(response, 400, { message: 'Malformed request URL' });
    const [, collection, name, action] = url.pathname.split('/');
    const signal = url.searchParams.get('signal') as NodeJS.Signals | null;
    if (request.method === 'GET' && !name) {
      if (collection === 'services') return send(response, 200, serviceStates(targets.services));
      if (collection === 'functions') return send(response, 200, functionStates(targets.functions));
      if (collection === 'mappings') {
        return send(
          response,
          200,
          Object.fromEntries(Object.entries(targets.mappings).map(([id, esm]) => [id, esm.stats()])),
        );
      }
    }
    if (request.method === 'POST' && action === 'signal' && name) {
      if (!signal || !SIGNALS.has(signal)) {
        return send(response, 400, { message: `signal must be one of ${[...SIGNALS].join(', ')}` });
      }
      if (collection === 'services') {
        const service = targets.services[name];
        if (!service) return send(response, 404, { message: `no server ${name}` });
        const pid = service.pid();
        options.log(`control: ${signal} to ${name} (pid ${pid})`);
        return send(response, service.signal(signal) ? 202 : 409, { name, pid, signal });
      }
      if (collection === 'functions') {
        const fn = targets.functions[name];
        if (!fn) return send(response, 404, { message: `no function ${name}` });
        const state = url.searchParams.get('state');
        const chosen = fn.environments().filter((environment) => !state || environment.state === state);
        options.log(`control: ${signal} to ${chosen.length} environment(s) of ${name}`);
        for (const environment of chosen) environment.signal(signal);
        return send(response, 202, { name, pids: chosen.map((environment) => environment.pid), signal });
      }
    }
    send(response, 404, { message: `no ${request.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function serviceStates(services: Record<string, SupervisedService>) {
  return Object.fromEntries(
    Object.entries(services).map(([key, service]) => [
      key,
      {
        name: service.name,
        url: service.url,
        pid: service.pid(),
        state: service.state(),
        starts: service.starts(),
      },
    ]),
  );
}

function functionStates(functions: Record<string, FunctionHost>) {
  return Object.fromEntries(
    Object.entries(functions).map(([id, fn]) => [
      id,
      {
        queued: fn.queued(),
        environments: fn.environments().map(({ pid, state, invocations }) => ({ pid, state, invocations })),
      },
    ]),
  );
}

function send(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
