/**
 * The pure core of server supervision: the states a supervised server goes through and the one
 * transition function between them, so what the supervisor does after an exit, a failed start or a
 * stop is decided in one place and unit-tested without a process.
 *
 *   starting --started--> running --exited--> restarting --started--> running
 *                                               |   ^
 *                                               +---+ start-failed (wait, then try again)
 *   any --stop--> stopping --stopped--> stopped   (an exit while stopping is not restarted)
 */
import type { ExitStatus } from './service-handle.js';

export type SupervisorState =
  /** The first start; a failure here fails the stack's start-up instead of being retried. */
  | { kind: 'starting'; attempt: 1 }
  | { kind: 'running'; attempt: number }
  /** Down since `downSinceMs`; `attempt` is the start being tried (2 for the first restart). */
  | { kind: 'restarting'; attempt: number; downSinceMs: number; failedStarts: number }
  | { kind: 'stopping' }
  | { kind: 'stopped' };

export type SupervisorEvent =
  | { kind: 'started'; nowMs: number }
  | { kind: 'exited'; status: ExitStatus; nowMs: number }
  | { kind: 'start-failed'; reason: string; nowMs: number }
  | { kind: 'stop' }
  | { kind: 'stopped' };

/** What the supervisor does after a transition, besides entering the new state. */
export type SupervisorAction =
  | { kind: 'none' }
  /** Start the server again on its data, after `delayFor` failed starts' worth of backoff. */
  | { kind: 'start'; afterFailedStarts: number }
  /** Stop the running process (it is the stack that stops). */
  | { kind: 'stop-process' };

export interface Transition {
  state: SupervisorState;
  action: SupervisorAction;
  /** The line the stack logs for this transition, if any. */
  message?: string;
}

export const initialSupervisorState = (): SupervisorState => ({ kind: 'starting', attempt: 1 });

/** The next state of server `name` after `event`, with the action to take and what to log. */
export function nextSupervisorState(
  name: string,
  state: SupervisorState,
  event: SupervisorEvent,
): Transition {
  const stay: Transition = { state, action: { kind: 'none' } };
  if (event.kind === 'stop') {
    if (state.kind === 'stopping' || state.kind === 'stopped') return stay;
    return { state: { kind: 'stopping' }, action: { kind: 'stop-process' } };
  }
  if (event.kind === 'stopped') return { state: { kind: 'stopped' }, action: { kind: 'none' } };

  switch (state.kind) {
    case 'starting':
      if (event.kind === 'started')
        return { state: { kind: 'running', attempt: 1 }, action: { kind: 'none' } };
      return stay;
    case 'running':
      if (event.kind !== 'exited') return stay;
      return {
        state: { kind: 'restarting', attempt: state.attempt + 1, downSinceMs: event.nowMs, failedStarts: 0 },
        action: { kind: 'start', afterFailedStarts: 0 },
        message: `${name} exited (${describeExit(event.status)}); restarting (attempt ${state.attempt + 1})`,
      };
    case 'restarting':
      if (event.kind === 'started') {
        const seconds = ((event.nowMs - state.downSinceMs) / 1000).toFixed(1);
        return {
          state: { kind: 'running', attempt: state.attempt },
          action: { kind: 'none' },
          message: `${name} back after ${seconds} s`,
        };
      }
      if (event.kind === 'start-failed') {
        const failedStarts = state.failedStarts + 1;
        return {
          state: { ...state, attempt: state.attempt + 1, failedStarts },
          action: { kind: 'start', afterFailedStarts: failedStarts },
          message: `${name} did not come back (attempt ${state.attempt}): ${event.reason}; restarting (attempt ${state.attempt + 1})`,
        };
      }
      return stay;
    case 'stopping':
    case 'stopped':
      // A server the stack is stopping on purpose is not restarted, whatever it does meanwhile.
      return stay;
  }
}

/** An exit as the logs print it: `signal SIGKILL` or `exit code 1`. */
export function describeExit({ code, signal }: ExitStatus): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}
