/**
 * The benchmark's viewers: WebSocket clients in a process of their own (as real viewers are on other
 * machines: their work must not slow the gateways down), recording when each event reaches each of
 * them. Receipts come back to this process in batches, on the clock both share (`epochNow`).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Viewers {
  /** Receipt times (`epochNow`) of each event id, one per viewer that got it. */
  received: Map<string, number[]>;
  /** Receipt times of the frames (WebSocket messages carrying events), all viewers together. */
  frameTimes: number[];
  close(): Promise<void>;
}

/** Milliseconds since the epoch with sub-millisecond resolution: comparable across processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Messages from the viewer process (`viewer-process.ts`). */
export type ViewerMessage =
  | { kind: 'connected' }
  | { kind: 'failed'; message: string }
  | { kind: 'frames'; frames: { at: number; ids: string[] }[] };

/** Starts the viewer process and connects `count` viewers to `url`; resolves once all are open. */
export async function connectViewers(url: string, count: number): Promise<Viewers> {
  const child = fork(fileURLToPath(new URL('./viewer-process.ts', import.meta.url)), [url, String(count)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const received = new Map<string, number[]>();
  const frameTimes: number[] = [];
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: ViewerMessage) => {
      if (message.kind === 'connected') resolve();
      else if (message.kind === 'failed') reject(new Error(message.message));
      else {
        for (const frame of message.frames) {
          frameTimes.push(frame.at);
          for (const id of frame.ids) {
            const times = received.get(id) ?? [];
            times.push(frame.at);
            received.set(id, times);
          }
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`the viewer process exited (${code})`)));
  });
  return {
    received,
    frameTimes,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
