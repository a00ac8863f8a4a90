/**
 * Data folders of stacks started by a process (`<prefix>-<pid>` under `.local/`: the test stack, the
 * benchmark's stack). Each run keeps its data and logs (for reading after a failure) until a later run
 * of the same kind removes those whose process is no longer alive.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './process-alive.js';

/** `<localDir>/<prefix>-<pid of this process>`. */
export function runDir(localDir: string, prefix: string): string {
  return join(localDir, `${prefix}-${process.pid}`);
}

/** Removes `<localDir>/<prefix>-<pid>` folders of processes that have ended. */
export async function removeFinishedRuns(localDir: string, prefix: string): Promise<void> {
  const entries = await readdir(localDir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(`${prefix}-`)) continue;
    const pid = Number(entry.slice(prefix.length + 1));
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    await rm(join(localDir, entry), { recursive: true, force: true });
  }
}
