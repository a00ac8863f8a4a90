/**
 * Keeps one server of the local stack running, as a managed service would: when its process exits
 * without the stack asking (a crash, the OOM killer, a test's SIGKILL), it is started again on the same
 * port and data folder, with capped backoff between failed starts, and the log says so. The decisions
 * are `supervision.ts`'s; this module only carries them out.
 */
import { type Backoff, jitteredDelay } from '../../lambdas/shared/retry.js';
import type { ServiceHandle } from './service-handle.js';
import {
  initialSupervisorState,
  nextSupervisorState,
  type SupervisorEvent,
  type SupervisorState,
} from './supervision.js';

/** Between failed restarts: from 0.5 s, doubling, at most 10 s (jittered). */
export const RESTART_BACKOFF: Backoff = { baseDelayMs: 500, maxDelayMs: 10_000 };

export interface SuperviseOptions {
  name: string;
  /**
   * Starts the server; `restart` is true after a crash (keep the data, same port). `signal` aborts a
   * restart still under way when the stack stops, so stopping never waits out a server's start timeout.
   */
  start: (restart: boolean, signal: AbortSignal) => Promise<ServiceHandle>;
  /** Receives the supervision lines ("opensearch exited (signal SIGKILL); restarting (attempt 2)"). */
  log: (line: string) => void;
  backoff?: Backoff;
}

/** A supervised server: what the stack and tests (through the control API) see of it. */
export interface SupervisedService {
  name: string;
  /** Stable across restarts: a restart reuses the port. */
  url: string;
  /** Pid of the current process, or undefined while it is down. */
  pid(): number | undefined;
  state(): SupervisorState['kind'];
  /** Starts so far, the first included. */
  starts(): number;
  /** Resolves once the server is running (again). */
  whenRunning(): Promise<void>;
  /** Sends a signal to the current process group: SIGSTOP pauses, SIGCONT resumes, SIGKILL crashes it. */
  signal(signal: NodeJS.Signals): boolean;
  /** Stops the server for good; an exit from now on is not restarted. */
  stop(): Promise<void>;
}

/** Starts `options.start(false)` and supervises the process it returns; rejects if that first start fails. */
export async function superviseService(options: SuperviseOptions): Promise<SupervisedService> {
  const { name, log } = options;
  const backoff = options.backoff ?? RESTART_BACKOFF;
  let state: SupervisorState = initialSupervisorState();
  const stopping = new AbortController();
  let current: ServiceHandle | undefined = await options.start(false, stopping.signal);
  let starts = 1;
  let running: { promise: Promise<void>; resolve: () => void } = settled();
  let cancelWait: () => void = () => undefined;
  let restarting: Promise<void> = Promise.resolve();

  const dispatch = (event: SupervisorEvent) => {
    const transition = nextSupervisorState(name, state, event);
    state = transition.state;
    if (transition.message) log(transition.message);
    return transition.action;
  };

  const watch = (handle: ServiceHandle) => {
    void handle.exited.then((status) => {
      if (current !== handle) return;
      current = undefined;
      const action = dispatch({ kind: 'exited', status, nowMs: Date.now() });
      if (action.kind === 'start') {
        running = pending();
        restarting = restartFrom(action.afterFailedStarts);
      }
    });
  };

  const restartFrom = async (failedStarts: number): Promise<void> => {
    for (let failed = failedStarts; ; ) {
      if (failed > 0) {
        const waited = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), jitteredDelay(failed, backoff, Math.random));
          cancelWait = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        if (!waited) return;
      }
      if (state.kind !== 'restarting') return;
      try {
        starts += 1;
        const handle = await options.start(true, stopping.signal);
        if (state.kind !== 'restarting') {
          // The stack began stopping while this start was under way.
          await handle.stop();
          return;
        }
        current = handle;
        dispatch({ kind: 'started', nowMs: Date.now() });
        watch(handle);
        running.resolve();
        return;
      } catch (error) {
        const action = dispatch({ kind: 'start-failed', reason: firstLine(error), nowMs: Date.now() });
        if (action.kind !== 'start') return;
        failed = action.afterFailedStarts;
      }
    }
  };

  dispatch({ kind: 'started', nowMs: Date.now() });
  watch(current);

  return {
    name,
    url: current.url,
    pid: () => current?.pid,
    state: () => state.kind,
    starts: () => starts,
    whenRunning: () => running.promise,
    signal(signal) {
      if (!current) return false;
      current.signal(signal);
      return true;
    },
    async stop() {
      if (dispatch({ kind: 'stop' }).kind !== 'stop-process') return;
      cancelWait();
      stopping.abort();
      await restarting;
      const handle = current;
      current = undefined;
      await handle?.stop();
      dispatch({ kind: 'stopped' });
      running.resolve();
    },
  };
}

function pending(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function settled(): { promise: Promise<void>; resolve: () => void } {
  return { promise: Promise.resolve(), resolve: () => undefined };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
