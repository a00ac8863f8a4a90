/**
 * The floor: the most trivial live push there is, in this process. `POST /v1/events` sends the batch as
 * one `{"type":"events","events":[...]}` frame to every connected WebSocket, then answers 202. No
 * stream, no function, no table: what is left is the cost of HTTP, WebSocket and this machine.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface FloorServer {
  ingestUrl: string;
  websocketUrl: string;
  close(): Promise<void>;
}

export async function startFloorServer(): Promise<FloorServer> {
  const sockets = new WebSocketServer({ noServer: true });
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: unknown[] };
      // Accepted first, then pushed, as in the pipeline (a 202 only for what was taken).
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ accepted: body.events.length, duplicates: 0, rejected: [] }));
      const frame = JSON.stringify({ type: 'events', events: body.events });
      setImmediate(() => {
        for (const client of sockets.clients) client.send(frame);
      });
    });
  });
  server.on('upgrade', (request, socket, head) => {
    sockets.handleUpgrade(request, socket, head, (client) => sockets.emit('connection', client, request));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ingestUrl: `http://127.0.0.1:${port}/v1/events`,
    websocketUrl: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
