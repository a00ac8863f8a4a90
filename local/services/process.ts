/**
 * How the local stack runs its emulators: one child process per server, its output in a log file, ready
 * only when a health check answers, and stopped with its whole process tree.
 *
 * Why each server gets its own process group (`detached: true`): a server may be a shell script that
 * starts a JVM (OpenSearch), and signalling the group reaches every process in it. The command is
 * wrapped by `run-as.ts` so the kernel kills it if the Node parent dies without stopping it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type RunAs, wrapCommand } from './run-as.js';
import { type ExitStatus, FatalProbeError, type ServiceHandle, ServiceStartError } from './service-handle.js';
import { describeExit } from './supervision.js';

/** The last `count` lines of a file, or a note when it cannot be read. */
export function tailFile(file: string, count = 40): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-count).join('\n');
  } catch (error) {
    return `(cannot read ${file}: ${(error as Error).message})`;
  }
}

/** Appends one line to a server's log file, where its own output goes too. */
export function appendLogLine(logFile: string, line: string): void {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/** What `spawnService()` needs to run and watch one server. */
export interface SpawnServiceOptions {
  name: string;
  url: string;
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  runAs?: RunAs;
  /** Resolves true once the server answers as ready; may throw (a failed probe is retried). */
  healthCheck: (signal: AbortSignal) => Promise<boolean>;
  startTimeoutMs: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  /** Abandons the start (Ctrl-C while the server boots, a stack stopping during a restart). */
  signal?: AbortSignal;
}

/**
 * Spawns a server in its own process group with output appended to its log file, and resolves once
 * `healthCheck` passes. Rejects (after killing what it started) when the server exits first or the
 * timeout passes, with the end of the log in the message.
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceHandle> {
  const { name, url, logFile, startTimeoutMs } = options;
  appendLogLine(
    logFile,
    `\n=== ${new Date().toISOString()} starting ${name}: ${options.command} ${options.args.join(' ')}`,
  );
  const logFd = openSync(logFile, 'a');
  const wrapped = wrapCommand(options.command, options.args, options.runAs);
  let child: ChildProcess;
  try {
    child = spawn(wrapped.command, wrapped.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
      detached: true,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }
  // Detached children would otherwise keep the parent's event loop alive; stop() is the way to end them.
  child.unref();

  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (pid === undefined) return;
    await terminateGroup(pid, exited, () => hasExited, options.stopGraceMs ?? 15_000);
  };

  const failWith = async (reason: string): Promise<never> => {
    await stop();
    throw new ServiceStartError(
      `${name} did not start: ${reason}\n--- last lines of ${logFile} ---\n${tailFile(logFile)}`,
    );
  };

  if (pid === undefined) {
    const error = await Promise.race([
      spawnFailed,
      delay(1000, undefined, { ref: false }).then(() => new Error('no pid')),
    ]);
    return failWith(`cannot spawn ${wrapped.command}: ${error.message}`);
  }

  const deadline = Date.now() + startTimeoutMs;
  let lastProbeError = 'no answer yet';
  let interval = 100;
  const aborted = abortedPromise(options.signal);
  while (!hasExited) {
    if (options.signal?.aborted) {
      await stop();
      throw new ServiceStartError(`${name} did not start: interrupted`);
    }
    if (Date.now() > deadline) {
      return failWith(
        `no healthy answer from ${url} within ${startTimeoutMs} ms (last probe: ${lastProbeError})`,
      );
    }
    const timeout = AbortSignal.timeout(Math.min(5_000, Math.max(500, deadline - Date.now())));
    const probe = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    try {
      if (await options.healthCheck(probe)) {
        return {
          name,
          url,
          pid,
          exited,
          signal: (signal) => {
            signalGroup(pid, signal);
          },
          stop,
        };
      }
      lastProbeError = 'not ready';
    } catch (error) {
      if (error instanceof FatalProbeError) return failWith(error.message);
      lastProbeError = describeError(error);
    }
    // Poll fast at first (most servers answer within seconds), then back off to spare the CPU.
    await Promise.race([delay(interval), exited, aborted]);
    interval = Math.min(interval * 1.5, 500);
  }
  return failWith(`the process exited early (${describeExit(await exited)})`);
}

/** Settles when `signal` aborts (never without one). */
function abortedPromise(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** True while any process of the group is alive (signal 0 probes without signalling). */
function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await delay(50);
  }
  return condition();
}

/**
 * SIGTERM to the whole group (servers flush and exit cleanly), SIGKILL to whatever is left after the
 * grace period, and wait until the kernel reports the group empty, so a following start can reuse ports.
 * A paused (SIGSTOP) group is resumed first, or it could not act on the SIGTERM.
 */
async function terminateGroup(
  pgid: number,
  exited: Promise<unknown>,
  hasExited: () => boolean,
  graceMs: number,
): Promise<void> {
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGTERM');
    signalGroup(pgid, 'SIGCONT');
    // Unref'd: a pending grace timer must not keep the caller's process alive once the server is gone.
    await Promise.race([exited, delay(graceMs, undefined, { ref: false })]);
    // Also reaches helpers that outlived the leader.
    if (!(await waitFor(() => !groupAlive(pgid), hasExited() ? 1_000 : 0))) {
      signalGroup(pgid, 'SIGKILL');
    }
  }
  await Promise.race([exited, delay(5_000, undefined, { ref: false })]);
  // The leader is reaped once Node sees its exit; wait for the rest of the group too.
  await waitFor(() => !groupAlive(pgid), 5_000);
}
