import { describe, expect, it } from 'vitest';
import type { ExitStatus, ServiceHandle } from '../../../local/services/service-handle.js';
import { superviseService } from '../../../local/services/supervisor.js';

/** A server handle whose exit the test decides. */
function fakeHandle(): ServiceHandle & { crash(): void } {
  let exit: (status: ExitStatus) => void = () => undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    exit = resolve;
  });
  return {
    name: 'opensearch',
    url: 'http://127.0.0.1:9200',
    pid: 4242,
    exited,
    signal: () => undefined,
    stop: async () => exit({ code: 0, signal: null }),
    crash: () => exit({ code: null, signal: 'SIGKILL' }),
  };
}

/** A start that never finishes unless aborted, as OpenSearch booting for minutes on a busy machine. */
function startThatHangs(signal: AbortSignal): Promise<ServiceHandle> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error('opensearch did not start: interrupted')));
  });
}

describe('superviseService', () => {
  it('stops at once while a restart is still starting the server', async () => {
    // Prepare: the server crashed; its restart is under way and would take minutes.
    const first = fakeHandle();
    let restarting: () => void = () => undefined;
    const restartBegun = new Promise<void>((resolve) => {
      restarting = resolve;
    });
    const service = await superviseService({
      name: 'opensearch',
      start: async (restart, signal) => {
        if (!restart) return first;
        restarting();
        return startThatHangs(signal);
      },
      log: () => undefined,
    });
    first.crash();
    await restartBegun;

    // Act
    const stopped = await Promise.race([
      service.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 2 s'), 2_000)),
    ]);

    // Assess: before, stop() waited for the restart's start to finish or time out (OpenSearch: 180 s).
    expect(stopped).toBe('stopped');
    expect(service.state()).toBe('stopped');
  });
});
