/**
 * The local stack's two API Gateway emulations, REST and WebSocket, each with its own log file for the
 * errors it answers for (failed integrations, malformed results, refused upgrades).
 */
import { join } from 'node:path';
import { API_STAGE, type FunctionId, REST_API, REST_ROUTES, WEBSOCKET_ROUTES } from '../lib/topology.js';
import { type RestGateway, startRestGateway } from './gateway/rest-gateway.js';
import { startWebSocketGateway, type WebSocketGateway } from './gateway/websocket-gateway.js';
import { type LogFile, openLogFile, teeLog } from './logs.js';
import type { LocalFunction } from './runtime/function-host.js';

export interface LocalGateways {
  rest: RestGateway;
  websocket: WebSocketGateway;
  stop(): Promise<void>;
}

export async function startGateways(options: {
  ports: { rest: number; websocket: number };
  host: string;
  functions: Record<FunctionId, LocalFunction>;
  logsDir: string;
  /** Where their lines also go, prefixed `[rest-gateway]` / `[websocket-gateway]`. */
  console: (line: string) => void;
  timed: <T>(label: string, step: () => Promise<T>) => Promise<T>;
  /** Origins browsers may call the REST API from. */
  corsOrigins: readonly string[];
}): Promise<LocalGateways> {
  const { host, functions } = options;
  const files: LogFile[] = [];
  const logFor = (name: string) => {
    const file = openLogFile(join(options.logsDir, `${name}.log`));
    files.push(file);
    return teeLog(file, `[${name}]`, options.console);
  };
  const closeFiles = () => Promise.all(files.map((file) => file.close())).then(() => undefined);
  let rest: RestGateway | undefined;
  try {
    rest = await options.timed('REST gateway', () =>
      startRestGateway({
        port: options.ports.rest,
        host,
        routes: REST_ROUTES,
        functions,
        stage: API_STAGE,
        corsOrigins: options.corsOrigins,
        binaryMediaTypes: REST_API.binaryMediaTypes,
        authorizer: REST_API.authorizer.functionId,
        log: logFor('rest-gateway'),
      }),
    );
    const websocket = await options.timed('WebSocket gateway', () =>
      startWebSocketGateway({
        port: options.ports.websocket,
        host,
        routes: WEBSOCKET_ROUTES,
        functions,
        stage: API_STAGE,
        log: logFor('websocket-gateway'),
      }),
    );
    const started = rest;
    return {
      rest,
      websocket,
      async stop() {
        await Promise.allSettled([started.close(), websocket.close()]);
        await closeFiles();
      },
    };
  } catch (error) {
    await rest?.close();
    await closeFiles();
    throw error;
  }
}
