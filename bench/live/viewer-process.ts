/**
 * The viewer process of `bench:live` (started by `viewers.ts`): opens `count` WebSockets to `url` (20
 * handshakes at a time), and reports every frame of events it receives, with its receipt time, to the
 * parent every 50 ms. Exits when the parent goes away or sends SIGTERM.
 */
import WebSocket from 'ws';
import { epochNow, type ViewerMessage } from './viewers.js';

const [url = '', countText = '0'] = process.argv.slice(2);
const send = (message: ViewerMessage) => process.send?.(message);
let pending: { at: number; ids: string[] }[] = [];

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('message', (data) => {
      const at = epochNow();
      const message = JSON.parse(data.toString()) as { type?: string; events?: { event_id: string }[] };
      if (message.type === 'events' && message.events) {
        pending.push({ at, ids: message.events.map((event) => event.event_id) });
      }
    });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`viewer refused: HTTP ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

async function main(): Promise<void> {
  const count = Number(countText);
  const sockets: WebSocket[] = [];
  for (let started = 0; started < count; started += 20) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(20, count - started) }, open))));
  }
  setInterval(() => {
    if (pending.length === 0) return;
    send({ kind: 'frames', frames: pending });
    pending = [];
  }, 50);
  send({ kind: 'connected' });
  const stop = () => {
    for (const socket of sockets) socket.terminate();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

main().catch((error: unknown) => {
  send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
