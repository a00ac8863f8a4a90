/**
 * The `@connections` management API of the local WebSocket API, so `ApiGatewayManagementApiClient({
 * endpoint })` works unchanged: POST sends a message to a connection, GET describes it, DELETE closes
 * it; a connection that is gone is `410 GoneException`, a message over 128 KB `413`.
 *
 * A client that stops reading would make the gateway hold every message posted to it: once more than
 * `MAX_UNSENT_BYTES` wait unsent, the connection is closed and the post is a 410, as for any connection
 * that is gone, which tells the backend to drop it.
 *
 * Reference: API Gateway developer guide, "Use @connections commands in your backend service".
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http-event.js';
import { MAX_MESSAGE_BYTES, MAX_UNSENT_BYTES } from './websocket-api.js';
import type { ConnectionRegistry } from './websocket-connections.js';
import { sendError, sendJson } from './websocket-responses.js';

const CONNECTION_PATH = /^(?:\/[^/]+)?\/@connections\/([^/]+)$/;

/** Handles one management request; `url` is the parsed request URL. */
export async function handleConnectionsRequest(
  connections: ConnectionRegistry,
  request: IncomingMessage,
  url: URL,
  response: ServerResponse,
): Promise<void> {
  const match = CONNECTION_PATH.exec(url.pathname);
  if (!match) {
    request.resume();
    if (url.pathname.includes('/@connections')) sendError(response, 403, 'ForbiddenException', 'Forbidden');
    else sendJson(response, 426, { message: 'Upgrade Required' });
    return;
  }
  const connectionId = decodeConnectionId(match[1] ?? '');
  if (connectionId === undefined) {
    request.resume();
    sendError(response, 400, 'BadRequestException', 'Malformed percent-encoding in the connection id');
    return;
  }
  const open = connections.open(connectionId);

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
    if (open.socket.bufferedAmount > MAX_UNSENT_BYTES) {
      // The client has stopped reading: closing it frees what waits, and its $disconnect runs.
      open.socket.terminate();
      sendError(response, 410, 'GoneException', null);
      return;
    }
    open.socket.send(body, { binary: !isUtf8(body) });
    open.lastActiveAt = new Date();
    response.writeHead(200, { 'Content-Length': 0 }).end();
    return;
  }
  request.resume();
  if (request.method !== 'GET' && request.method !== 'DELETE') {
    sendError(response, 403, 'ForbiddenException', 'Forbidden');
    return;
  }
  if (!open) {
    sendError(response, 410, 'GoneException', null);
    return;
  }
  if (request.method === 'GET') {
    sendJson(response, 200, {
      connectedAt: open.connectedAt.toISOString(),
      identity: { sourceIp: open.sourceIp, userAgent: open.userAgent },
      lastActiveAt: open.lastActiveAt.toISOString(),
    });
    return;
  }
  open.socket.close(1000, 'Connection closed by the server');
  response.writeHead(204).end();
}

function decodeConnectionId(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}
