/**
 * Stops `npm start` when whatever launched it dies. The servers die with the stack's Node process (the
 * kernel's parent-death signal), but that process does not die with its own launchers: `kill -9` of
 * `npm start` (or of the tsx wrapper under it) would leave the stack running, orphaned. So the stack
 * watches its chain of launchers, from its parent up to the nearest `npm`/`npx`, and stops when one of
 * them is gone.
 */
import { readFileSync } from 'node:fs';
import { isAlive } from './process-alive.js';

export interface ProcessEntry {
  ppid: number;
  /** The command name (`/proc/<pid>/comm`): `npm`, `node`, `sh`… */
  name: string;
}

/**
 * The launchers to watch, nearest first: every ancestor up to and including the nearest `npm` or `npx`;
 * without one (started by `tsx local/start.ts` directly), only the direct parent.
 */
export function launcherChain(pid: number, lookup: (pid: number) => ProcessEntry | undefined): number[] {
  const self = lookup(pid);
  if (!self) return [];
  const chain: number[] = [];
  for (let current = self.ppid; current > 1; ) {
    const entry = lookup(current);
    if (!entry) break;
    chain.push(current);
    if (isNpm(entry.name)) return chain;
    current = entry.ppid;
  }
  return chain.slice(0, 1);
}

/** npm names its process after the command (`npm start`, `npm run s`, `npm exec …`, truncated to 15). */
function isNpm(name: string): boolean {
  return name === 'npm' || name === 'npx' || name.startsWith('npm ') || name.startsWith('npx ');
}

/** Reads a process's parent and name from /proc (Linux); undefined elsewhere or when it is gone. */
export function procEntry(pid: number): ProcessEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid …`; comm may itself contain spaces and parentheses.
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return { ppid: Number(afterName[1]), name };
  } catch {
    return undefined;
  }
}

/**
 * When a process started (`/proc/<pid>/stat` field 22, clock ticks since boot): with its pid, it names
 * one process for good, where a pid alone may be reused. Undefined elsewhere or when it is gone.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Calls `onGone` (once) when a launcher of this process exits; returns a function that stops watching. */
export function watchLaunchers(onGone: (pid: number) => void, intervalMs = 1000): () => void {
  const chain = launcherChain(process.pid, procEntry);
  const originalParent = process.ppid;
  const timer = setInterval(() => {
    const gone =
      chain.find((pid) => !isAlive(pid)) ?? (process.ppid !== originalParent ? originalParent : undefined);
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
