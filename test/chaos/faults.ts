/**
 * The faults of the chaos test, caused for real on the local stack: index settings and state through
 * OpenSearch's own API, signals to servers and function environments through the stack's control API.
 * Each fault is a start and an end, so the scenario can run load between them.
 */
import { eventsIndexName } from '../../lambdas/indexer/index-template.js';
import { OPENSEARCH } from '../../lib/topology.js';
import {
  eventually,
  functionEnvironments,
  localStack,
  servers,
  signalFunction,
  signalServer,
} from '../helpers/local-stack-client.js';

/** Today's event index: where events stamped now are written. */
export function todaysIndex(): string {
  return eventsIndexName(OPENSEARCH.eventsIndexPrefix, new Date());
}

async function openSearch(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${localStack().opensearchUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok)
    throw new Error(`OpenSearch ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
}

/** `index.blocks.write` on (or off) today's index: every write to it fails with a cluster block (403). */
export function setWriteBlock(on: boolean): Promise<void> {
  return openSearch('PUT', `/${todaysIndex()}/_settings`, { 'index.blocks.write': on });
}

/** Closes (or reopens) today's index: every write to it fails with `index_closed_exception` (400). */
export async function setIndexClosed(closed: boolean): Promise<void> {
  await openSearch('POST', `/${todaysIndex()}/${closed ? '_close' : '_open'}`);
  if (!closed)
    await openSearch('GET', `/_cluster/health/${todaysIndex()}?wait_for_status=yellow&timeout=60s`);
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
