/**
 * The plain HTTP answers of the local WebSocket API: a refused upgrade, and the `@connections` API's
 * JSON and error responses in the form the SDK parses.
 */
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answers an upgrade request with a plain HTTP response and drops the socket. */
export function rejectUpgrade(socket: Duplex, statusCode: number, body: unknown): void {
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
export function sendError(
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

export function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
