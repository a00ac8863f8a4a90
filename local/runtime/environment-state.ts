/**
 * The states of one execution environment and the one transition function between them:
 *
 *   idle --invoke--> busy --answered--> idle
 *                     |--init-failed--> retired   (Lambda re-initializes on the next invocation)
 *                     |--timed-out----> retired   (Lambda stops the environment of a timed-out invocation)
 *   any --exited / stopped--> retired              (a crash, or the function stopping)
 *
 * A retired environment never takes another invocation; the function host starts a new one.
 */
export type EnvironmentState = 'idle' | 'busy' | 'retired';

export type EnvironmentEvent = 'invoke' | 'answered' | 'init-failed' | 'timed-out' | 'exited' | 'stopped';

/** The state after `event`; throws on a transition the host must never attempt (a bug, not a fault). */
export function nextEnvironmentState(state: EnvironmentState, event: EnvironmentEvent): EnvironmentState {
  if (event === 'exited' || event === 'stopped') return 'retired';
  if (state === 'idle' && event === 'invoke') return 'busy';
  if (state === 'busy' && event === 'answered') return 'idle';
  if (state === 'busy' && (event === 'init-failed' || event === 'timed-out')) return 'retired';
  throw new Error(`an execution environment cannot go from ${state} on ${event}`);
}
