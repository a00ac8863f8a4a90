/**
 * One stack per data folder. A stack wipes its servers' data folders when it starts (`keepData: false`)
 * and rebuilds the bundles there, so a second `npm start` in the same checkout (say
 * `LOCAL_STACK_PORTS=random` beside the one on the default ports) used to delete the running stack's
 * OpenSearch indices, DynamoDB tables and Kinesis records under it, and overwrite its endpoints file.
 * Now the first stack holds `<dataDir>/stack.lock` (its pid and the kernel's start time of that pid), and
 * a second one is refused with the pid to stop. A lock left by a stack that died without stopping
 * (`kill -9`, a closed laptop) is stale: its pid is gone, or now names another process (pid reuse).
 *
 * The lock also owns the endpoints file: written when the stack is ready, removed when it stops, and a
 * stale one removed when the next stack takes the lock, so `.local/endpoints.json` never names a stack
 * that is gone (the CLI would send its commands to dead ports).
 */
import { link, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processStartTime } from './launcher-watch.js';
import { isAlive } from './process-alive.js';

export interface LockHolder {
  pid: number;
  /** `/proc/<pid>/stat` start time (clock ticks since boot); absent where /proc is not. */
  startTime?: string;
  startedAt: string;
}

/** How a lock file's holder is checked; the defaults read the real process table. */
export interface ProcessProbe {
  isAlive(pid: number): boolean;
  startTime(pid: number): string | undefined;
}

const REAL_PROCESSES: ProcessProbe = { isAlive, startTime: processStartTime };

/** Thrown when another live stack holds the data folder. */
export class StackLockedError extends Error {
  override name = 'StackLockedError';
}

export function lockFile(dataDir: string): string {
  return join(dataDir, 'stack.lock');
}

/** The holder a lock file names, or undefined when it is unreadable (torn, emptied, not JSON). */
function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    return Number.isInteger(holder.pid) && (holder.pid ?? 0) > 0 ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the holder's process still runs: alive, and (where known) started when the lock says. */
function holderRuns(holder: LockHolder | undefined, probe: ProcessProbe): holder is LockHolder {
  if (!holder || !probe.isAlive(holder.pid)) return false;
  const now = probe.startTime(holder.pid);
  return holder.startTime === undefined || now === undefined || now === holder.startTime;
}

function lockedMessage(dataDir: string, holder: LockHolder): string {
  return (
    `another local stack (pid ${holder.pid}, started ${holder.startedAt}) is running on ${dataDir}; ` +
    'a second one would wipe its data. Stop it first (Ctrl-C in its terminal, or ' +
    `kill ${holder.pid}), or run the second stack from another checkout (git worktree add) with ` +
    'LOCAL_STACK_PORTS=random.'
  );
}

export interface DataDirLock {
  /** Writes the endpoints file (owner-only: it holds keys). */
  publish(endpoints: object): Promise<void>;
  /** Removes the endpoints file and the lock. */
  release(): Promise<void>;
}

/**
 * Takes the data folder's lock for this process, or throws `StackLockedError` naming the live holder.
 * A stale lock is replaced. The file appears with its content at once (written aside, then hard-linked),
 * so a concurrent start never reads it half-written.
 */
export async function lockDataDir(
  dataDir: string,
  endpointsFile?: string,
  probe: ProcessProbe = REAL_PROCESSES,
  self = process.pid,
): Promise<DataDirLock> {
  const file = lockFile(dataDir);
  const startTime = probe.startTime(self);
  const mine: LockHolder = {
    pid: self,
    ...(startTime ? { startTime } : {}),
    startedAt: new Date().toISOString(),
  };
  const draft = `${file}.${self}.new`;
  await writeFile(draft, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(draft, file);
        if (endpointsFile) await rm(endpointsFile, { force: true });
        return {
          publish: async (endpoints) => {
            if (endpointsFile) {
              await writeFile(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
            }
          },
          release: async () => {
            if (endpointsFile) await rm(endpointsFile, { force: true });
            await releaseLock(file, self);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      await setAsideStaleLock(file, dataDir, self, probe);
    }
    throw new StackLockedError(`could not take ${file}: other stacks keep starting on ${dataDir}`);
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/**
 * Moves a stale lock out of the way; throws when its holder runs. The lock is renamed first and then
 * read, so two starts that both found it stale cannot each remove what the other has just taken: the
 * one that moved a live holder's lock puts it back.
 */
async function setAsideStaleLock(file: string, dataDir: string, self: number, probe: ProcessProbe) {
  const current = parseHolder(await readFile(file, 'utf8').catch(() => ''));
  if (holderRuns(current, probe)) throw new StackLockedError(lockedMessage(dataDir, current));
  const aside = `${file}.${self}.stale`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = parseHolder(await readFile(aside, 'utf8').catch(() => ''));
  if (holderRuns(moved, probe)) {
    await link(aside, file).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    throw new StackLockedError(lockedMessage(dataDir, moved));
  }
  await unlink(aside).catch(() => undefined);
}

/** Removes the lock if it is still this process's. */
async function releaseLock(file: string, self: number): Promise<void> {
  const holder = parseHolder(await readFile(file, 'utf8').catch(() => ''));
  if (holder?.pid === self) await unlink(file).catch(() => undefined);
}
