/**
 * A local API Gateway WebSocket API with Lambda proxy integrations, plus its `@connections` management
 * API on the same port, so `ApiGatewayManagementApiClient({ endpoint: managementEndpoint })` works
 * unchanged. `$connect` decides the upgrade, messages go to `$default`, a closed socket to `$disconnect`.
 *
 * References: API Gateway developer guide, "WebSocket APIs" (routes, `$connect` semantics, the
 * `@connections` commands) and "Quotas for WebSocket APIs" (128 KB messages, 10 min idle timeout).
 */

import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { FunctionId } from '../../lib/topology.js';
import type { InvocationResult, LocalFunction } from '../runtime/function-host.js';
import {
  headerMaps,
  newExtendedRequestId,
  newRequestId,
  queryMaps,
  readBody,
  requestTime,
  sourceIp,
} from './http-event.js';

/** API Gateway's WebSocket message payload quota, for messages in and `@connections` posts out. */
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** API Gateway closes a connection without traffic for this long. */
export const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export type WebSocketRouteKey = '$connect' | '$disconnect' | '$default';

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
  log?: (line: string) => void;
}

export interface WebSocketGateway {
  /** `ws://host:port`: what clients connect to (`/<stage>` is accepted too). */
  url: string;
  /** `http://host:port/<stage>`: the `endpoint` of ApiGatewayManagementApiClient. */
  managementEndpoint: string;
  close(): Promise<void>;
}

interface Connection {
  id: string;
  socket: WebSocket;
  connectedAt: Date;
  lastActiveAt: Date;
  sourceIp: string;
  userAgent: string | undefined;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  domainName: string;
  idleTimer?: NodeJS.Timeout;
}

/** Starts the WebSocket API and its management endpoint on `host:port` (port 0 picks a free one). */
export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<WebSocketGateway> {
  const host = options.host ?? '127.0.0.1';
  const apiId = options.apiId ?? 'local';
  const log = options.log ?? (() => undefined);
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const connections = new Map<string, Connection>();
  const inFlight = new Set<Promise<unknown>>();
  /** Subprotocol `$connect` chose for a pending upgrade (its `Sec-WebSocket-Protocol` response header). */
  const chosenProtocol = new WeakMap<IncomingMessage, string>();

  const functionFor = (routeKey: WebSocketRouteKey): LocalFunction | undefined => {
    const route = options.routes.find((candidate) => candidate.routeKey === routeKey);
    return route ? options.functions[route.functionId] : undefined;
  };
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (_protocols, request) => chosenProtocol.get(request) ?? false,
  });

  const baseContext = (
    connection: Pick<Connection, 'id' | 'connectedAt' | 'sourceIp' | 'userAgent' | 'domainName'>,
  ) => {
    const now = new Date();
    return {
      extendedRequestId: newExtendedRequestId(),
      requestTime: requestTime(now),
      messageDirection: 'IN',
      stage: options.stage,
      connectedAt: connection.connectedAt.getTime(),
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      requestId: newRequestId(),
      domainName: connection.domainName,
      connectionId: connection.id,
      apiId,
    };
  };

  const touch = (connection: Connection) => {
    connection.lastActiveAt = new Date();
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => connection.socket.close(1001, 'Going away'), idleTimeoutMs);
    connection.idleTimer.unref();
  };

  async function upgrade(request: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (
      url.pathname !== '/' &&
      url.pathname !== `/${options.stage}` &&
      url.pathname !== `/${options.stage}/`
    ) {
      rejectUpgrade(socket, 403, { message: 'Forbidden' });
      return;
    }
    const { headers, multiValueHeaders } = headerMaps(request);
    const pending = {
      id: newConnectionId(),
      connectedAt: new Date(),
      sourceIp: sourceIp(request),
      userAgent: request.headers['user-agent'],
      domainName: request.headers.host ?? host,
    };
    const connectFunction = functionFor('$connect');
    if (connectFunction) {
      const event = {
        headers,
        multiValueHeaders,
        ...queryMaps(url.searchParams),
        requestContext: { routeKey: '$connect', eventType: 'CONNECT', ...baseContext(pending) },
        isBase64Encoded: false,
      };
      const result = await track(connectFunction.invoke(event));
      const verdict = connectVerdict(result);
      if (verdict.statusCode < 200 || verdict.statusCode > 299) {
        if (result.status === 'error')
          log(`[websocket-gateway] $connect failed: ${result.errorType}: ${result.errorMessage}`);
        rejectUpgrade(socket, verdict.statusCode, verdict.body);
        return;
      }
      if (verdict.protocol) chosenProtocol.set(request, verdict.protocol);
    }
    if (socket.destroyed) return;
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: Connection = {
        ...pending,
        socket: ws,
        lastActiveAt: new Date(),
        headers,
        multiValueHeaders,
      };
      connections.set(connection.id, connection);
      touch(connection);
      ws.on('message', (data, isBinary) => {
        touch(connection);
        void track(onMessage(connection, data, isBinary));
      });
      ws.on('close', (code, reason) => {
        clearTimeout(connection.idleTimer);
        connections.delete(connection.id);
        void track(onDisconnect(connection, code, reason.toString()));
      });
      ws.on('error', (error) => log(`[websocket-gateway] ${connection.id}: ${error.message}`));
    });
  }

  async function onMessage(connection: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const fn = functionFor('$default');
    if (!fn) return;
    const payload = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const requestContext = {
      routeKey: '$default',
      messageId: newExtendedRequestId(),
      eventType: 'MESSAGE',
      ...baseContext(connection),
    };
    const result = await fn.invoke({
      requestContext,
      body: isBinary ? payload.toString('base64') : payload.toString('utf8'),
      isBase64Encoded: isBinary,
    });
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    if (result.status === 'error') {
      log(`[websocket-gateway] $default failed: ${result.errorType}: ${result.errorMessage}`);
      // What API Gateway sends the client when the integration fails.
      connection.socket.send(
        JSON.stringify({
          message: 'Internal server error',
          connectionId: connection.id,
          requestId: requestContext.requestId,
        }),
      );
      return;
    }
    const body = (result.payload as { body?: unknown } | null)?.body;
    if (options.sendRouteResponses && typeof body === 'string') connection.socket.send(body);
  }

  async function onDisconnect(connection: Connection, code: number, reason: string): Promise<void> {
    const fn = functionFor('$disconnect');
    if (!fn) return;
    // Best effort, as on AWS: the client is gone whatever the function answers.
    const result = await fn.invoke({
      headers: connection.headers,
      multiValueHeaders: connection.multiValueHeaders,
      requestContext: {
        routeKey: '$disconnect',
        disconnectStatusCode: code,
        eventType: 'DISCONNECT',
        disconnectReason: reason,
        ...baseContext(connection),
      },
      isBase64Encoded: false,
    });
    if (result.status === 'error') {
      log(`[websocket-gateway] $disconnect failed: ${result.errorType}: ${result.errorMessage}`);
    }
  }

  /** The `@connections` API: POST sends, GET describes, DELETE closes. */
  async function management(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = /^(?:\/[^/]+)?\/@connections\/([^/]+)$/.exec(url.pathname);
    if (!match) {
      request.resume();
      if (url.pathname.includes('/@connections')) sendError(response, 403, 'ForbiddenException', 'Forbidden');
      else sendJson(response, 426, { message: 'Upgrade Required' });
      return;
    }
    const connection = connections.get(decodeURIComponent(match[1] ?? ''));
    const open = connection && connection.socket.readyState === WebSocket.OPEN ? connection : undefined;

    if (request.method === 'POST') {
      const body = await readBody(request, MAX_MESSAGE_BYTES);
      if (body === 'too-large') {
        sendError(
          response,
          413,
          'PayloadTooLargeException',
          `Message too long. Max bytes: ${MAX_MESSAGE_BYTES}`,
        );
        return;
      }
      if (!open) {
        sendError(response, 410, 'GoneException', null);
        return;
      }
      open.socket.send(body, { binary: !isUtf8(body) });
      open.lastActiveAt = new Date();
      response.writeHead(200, { 'Content-Length': 0 }).end();
      return;
    }
    request.resume();
    if (request.method === 'GET') {
      if (!open) {
        sendError(response, 410, 'GoneException', null);
        return;
      }
      sendJson(response, 200, {
        connectedAt: open.connectedAt.toISOString(),
        identity: { sourceIp: open.sourceIp, userAgent: open.userAgent },
        lastActiveAt: open.lastActiveAt.toISOString(),
      });
      return;
    }
    if (request.method === 'DELETE') {
      if (!open) {
        sendError(response, 410, 'GoneException', null);
        return;
      }
      open.socket.close(1000, 'Connection closed by the server');
      response.writeHead(204).end();
      return;
    }
    sendError(response, 403, 'ForbiddenException', 'Forbidden');
  }

  const server = createServer((request, response) => {
    management(request, response).catch((error: unknown) => {
      log(`[websocket-gateway] ${request.method} ${request.url} failed: ${String(error)}`);
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal server error' });
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrade(request, socket, head).catch((error: unknown) => {
      log(`[websocket-gateway] upgrade failed: ${String(error)}`);
      rejectUpgrade(socket, 500, { message: 'Internal server error' });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `ws://${host}:${port}`,
    managementEndpoint: `http://${host}:${port}/${options.stage}`,
    async close() {
      for (const connection of connections.values()) connection.socket.close(1001, 'Going away');
      // Let the $disconnect invocations of the closed sockets run, without waiting forever on them.
      await new Promise((resolve) => setTimeout(resolve, 50));
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          giveUp = setTimeout(resolve, 5000);
        }),
      ]);
      // A pending timer would keep the caller's process alive for the rest of the 5 s.
      clearTimeout(giveUp);
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/**
 * A connection id in API Gateway's form: 16 characters of base64, e.g. `L0SM9cOFvHcCIhw=`. It may
 * contain `/` and `+`, so callers must URL-encode it in `@connections` paths, as the SDK does.
 */
function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

/**
 * How a `$connect` invocation decides the upgrade: a result's `statusCode` (a successful invocation
 * without one accepts), a function error is a 500. The chosen subprotocol, if the client offered some,
 * is taken from the result's `Sec-WebSocket-Protocol` header, which API Gateway requires for them.
 */
function connectVerdict(result: InvocationResult): { statusCode: number; body: unknown; protocol?: string } {
  if (result.status === 'error') return { statusCode: 500, body: { message: 'Internal server error' } };
  const payload = (result.payload ?? {}) as {
    statusCode?: unknown;
    body?: unknown;
    headers?: Record<string, unknown>;
  };
  const statusCode = Number(payload.statusCode ?? 200);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { statusCode: 502, body: { message: 'Internal server error' } };
  }
  const protocolHeader = Object.entries(payload.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
  );
  return {
    statusCode,
    body: typeof payload.body === 'string' ? payload.body : null,
    protocol: protocolHeader ? String(protocolHeader[1]) : undefined,
  };
}

/** Answers an upgrade request with a plain HTTP response and drops the socket. */
function rejectUpgrade(socket: Socket, statusCode: number, body: unknown): void {
  if (socket.destroyed) return;
  const text =
    body === null || body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * A restJson1 error as the management API sends it: the SDK reads the type from `x-amzn-ErrorType`
 * (and the body's `message`), so a 410 becomes `GoneException`.
 */
function sendError(
  response: ServerResponse,
  statusCode: number,
  errorType: string,
  message: string | null,
): void {
  const text = JSON.stringify({ message });
  response.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-ErrorType': errorType,
  });
  response.end(text);
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
