import { describe, expect, it } from 'vitest';
import {
  initialSupervisorState,
  nextSupervisorState,
  type SupervisorState,
} from '../../../local/services/supervision.js';

const killed = { code: null, signal: 'SIGKILL' as const };
const running = (attempt = 1): SupervisorState => ({ kind: 'running', attempt });

describe('nextSupervisorState', () => {
  it('is running after the first start', () => {
    // Act
    const next = nextSupervisorState('opensearch', initialSupervisorState(), { kind: 'started', nowMs: 0 });

    // Assess
    expect(next.state).toEqual(running(1));
  });

  it('restarts a server that exits while running, and says so', () => {
    // Act
    const next = nextSupervisorState('opensearch', running(1), {
      kind: 'exited',
      status: killed,
      nowMs: 1000,
    });

    // Assess
    expect(next.state).toEqual({ kind: 'restarting', attempt: 2, downSinceMs: 1000, failedStarts: 0 });
    expect(next.action).toEqual({ kind: 'start', afterFailedStarts: 0 });
    expect(next.message).toBe('opensearch exited (signal SIGKILL); restarting (attempt 2)');
  });

  it('reports how long the server was down once it is back', () => {
    // Prepare
    const down = nextSupervisorState('opensearch', running(1), {
      kind: 'exited',
      status: killed,
      nowMs: 1000,
    });

    // Act
    const back = nextSupervisorState('opensearch', down.state, { kind: 'started', nowMs: 15_200 });

    // Assess
    expect(back.state).toEqual(running(2));
    expect(back.message).toBe('opensearch back after 14.2 s');
  });

  it('tries again after a failed restart, backing off by the failures so far', () => {
    // Prepare
    const down = nextSupervisorState('dynamodb', running(1), {
      kind: 'exited',
      status: { code: 1, signal: null },
      nowMs: 0,
    });

    // Act
    const failed = nextSupervisorState('dynamodb', down.state, {
      kind: 'start-failed',
      reason: 'port in use',
      nowMs: 10,
    });
    const failedAgain = nextSupervisorState('dynamodb', failed.state, {
      kind: 'start-failed',
      reason: 'x',
      nowMs: 20,
    });

    // Assess
    expect(failed.action).toEqual({ kind: 'start', afterFailedStarts: 1 });
    expect(failed.message).toBe(
      'dynamodb did not come back (attempt 2): port in use; restarting (attempt 3)',
    );
    expect(failedAgain.action).toEqual({ kind: 'start', afterFailedStarts: 2 });
    expect(down.message).toContain('exited (exit code 1)');
  });

  it('never restarts a server the stack is stopping on purpose', () => {
    // Prepare
    const stopping = nextSupervisorState('kinesalite', running(3), { kind: 'stop' });

    // Act
    const exited = nextSupervisorState('kinesalite', stopping.state, {
      kind: 'exited',
      status: killed,
      nowMs: 0,
    });

    // Assess
    expect(stopping.action).toEqual({ kind: 'stop-process' });
    expect(exited.action).toEqual({ kind: 'none' });
    expect(exited.message).toBeUndefined();
    expect(exited.state).toEqual({ kind: 'stopping' });
  });

  it('stops a server that is down between restarts without starting it again', () => {
    // Prepare
    const down = nextSupervisorState('elasticmq', running(1), { kind: 'exited', status: killed, nowMs: 0 });

    // Act
    const stopping = nextSupervisorState('elasticmq', down.state, { kind: 'stop' });
    const lateStart = nextSupervisorState('elasticmq', stopping.state, { kind: 'started', nowMs: 5 });

    // Assess
    expect(stopping.state).toEqual({ kind: 'stopping' });
    expect(lateStart.state).toEqual({ kind: 'stopping' });
  });

  it('ignores a second stop', () => {
    expect(nextSupervisorState('x', { kind: 'stopped' }, { kind: 'stop' }).action).toEqual({ kind: 'none' });
  });
});
