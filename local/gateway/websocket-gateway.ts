/**
 * A local API Gateway WebSocket API with Lambda proxy integrations, and its `@connections` management
 * API on the same port (as `https://{api}.execute-api/{stage}/@connections` sits beside the wss URL):
 * one HTTP server, whose upgrade requests go to the WebSocket side (`websocket-api.ts`) and whose plain
 * requests go to the management side (`connections-api.ts`). Both sides share the connections.
 *
 * References: API Gateway developer guide, "WebSocket APIs" and "Quotas for WebSocket APIs" (128 KB
 * messages, 10 min idle timeout, 2 hour connection duration).
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FunctionId } from '../../lib/topology.js';
import type { LocalFunction } from '../runtime/function-host.js';
import { handleConnectionsRequest } from './connections-api.js';
import { answerClientError, requestUrl } from './http-event.js';
import { WebSocketApi, type WebSocketRouteKey } from './websocket-api.js';
import { ConnectionRegistry } from './websocket-connections.js';
import { rejectUpgrade, sendJson } from './websocket-responses.js';

export { MAX_MESSAGE_BYTES, type WebSocketRouteKey } from './websocket-api.js';

/** API Gateway closes a connection without traffic for this long. */
export const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** API Gateway's maximum connection duration (`CONNECTION_TTL_SECONDS` of the connections table). */
export const MAX_CONNECTION_MS = 2 * 60 * 60 * 1000;

export interface WebSocketGatewayOptions {
  port: number;
  host?: string;
  routes: { routeKey: WebSocketRouteKey; functionId: FunctionId }[];
  functions: Partial<Record<FunctionId, LocalFunction>>;
  stage: string;
  /** Id in `requestContext.apiId`; default `local`. */
  apiId?: string;
  /**
   * Send a `$default` result's `body` back to the client, as a route with a route response
   * (two-way) does. Off by default: a route without a route response answers nothing.
   */
  sendRouteResponses?: boolean;
  /** Override of the 10 min idle timeout. */
  idleTimeoutMs?: number;
  /** Override of the 2 hour maximum connection duration. */
  maxConnectionMs?: number;
  /** The gateway's own log: failed route invocations, refused upgrades, its own errors. */
  log?: (line: string) => void;
}

export interface WebSocketGateway {
  /** `ws://host:port`: what clients connect to (`/<stage>` is accepted too). */
  url: string;
  /** `http://host:port/<stage>`: the `endpoint` of ApiGatewayManagementApiClient. */
  managementEndpoint: string;
  close(): Promise<void>;
}

/** Starts the WebSocket API and its management endpoint on `host:port` (port 0 picks a free one). */
export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<WebSocketGateway> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const connections = new ConnectionRegistry(
    options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    options.maxConnectionMs ?? MAX_CONNECTION_MS,
  );
  const websocket = new WebSocketApi({
    api: { stage: options.stage, apiId: options.apiId ?? 'local' },
    host,
    routes: options.routes,
    functions: options.functions,
    connections,
    sendRouteResponses: options.sendRouteResponses ?? false,
    log,
  });

  const server = createServer((request, response) => {
    const url = requestUrl(request);
    if (!url) {
      request.resume();
      sendJson(response, 400, { message: 'Malformed request URL' });
      return;
    }
    handleConnectionsRequest(connections, request, url, response).catch((error: unknown) => {
      log(`${request.method} ${url.pathname} failed: ${describe(error)}`);
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal server error' });
    });
  });
  server.on('upgrade', (request, socket: Socket, head: Buffer) => {
    const url = requestUrl(request);
    if (!url) {
      rejectUpgrade(socket, 400, { message: 'Malformed request URL' });
      return;
    }
    websocket.upgrade(request, url, socket, head).catch((error: unknown) => {
      log(`upgrade failed: ${describe(error)}`);
      rejectUpgrade(socket, 500, { message: 'Internal server error' });
    });
  });
  server.on('clientError', answerClientError(log));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  server.on('error', (error) => log(`server error: ${describe(error)}`));
  const { port } = server.address() as AddressInfo;

  return {
    url: `ws://${host}:${port}`,
    managementEndpoint: `http://${host}:${port}/${options.stage}`,
    async close() {
      await websocket.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
