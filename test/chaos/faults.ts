/**
 * The faults of the chaos test, caused for real on the local stack: index settings and state through
 * OpenSearch's own API, signals to servers and function environments through the stack's control API.
 * Each fault is a start and an end, so the scenario can run load between them.
 */
import {
  eventually,
  functionEnvironments,
  servers,
  signalFunction,
  signalServer,
} from '../helpers/local-stack-client.js';
import {
  eventsIndex,
  setIndexClosed as setClosed,
  setWriteBlock as setIndexWriteBlock,
} from '../helpers/opensearch-admin.js';

/** `index.blocks.write` on (or off) today's index. */
export function setWriteBlock(on: boolean): Promise<void> {
  return setIndexWriteBlock(eventsIndex(), on);
}

/** Closes (or reopens) today's index. */
export function setIndexClosed(closed: boolean): Promise<void> {
  return setClosed(eventsIndex(), closed);
}

/** SIGSTOP / SIGCONT of the OpenSearch process: requests hang instead of failing. */
export async function pauseOpenSearch(paused: boolean): Promise<void> {
  await signalServer('opensearch', paused ? 'SIGSTOP' : 'SIGCONT');
}

/** SIGKILL of OpenSearch; resolves once the stack's supervisor has it running again (seconds taken). */
export async function killOpenSearch(): Promise<number> {
  const before = (await servers()).opensearch?.pid;
  const started = Date.now();
  await signalServer('opensearch', 'SIGKILL');
  const back = await eventually(
    async () => (await servers()).opensearch,
    (server) => server?.state === 'running' && server.pid !== before,
    { timeoutMs: 240_000, intervalMs: 500 },
  );
  if (back?.state !== 'running') throw new Error(`OpenSearch was not restarted: ${JSON.stringify(back)}`);
  return (Date.now() - started) / 1000;
}

/**
 * Waits for an environment of `functionId` to be busy with a batch, then SIGKILLs it (only busy ones).
 * Resolves with the number of environments killed (0 when none got busy in time).
 */
export async function killMidBatch(
  functionId: 'indexer' | 'rollup-writer',
  timeoutMs = 8_000,
): Promise<number> {
  const busy = await eventually(
    async () => (await functionEnvironments())[functionId],
    (fn) => (fn?.environments ?? []).some((environment) => environment.state === 'busy'),
    { timeoutMs, intervalMs: 25 },
  );
  if (!busy?.environments.some((environment) => environment.state === 'busy')) return 0;
  const { pids } = await signalFunction(functionId, 'SIGKILL', true);
  return pids.length;
}
