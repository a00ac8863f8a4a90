/**
 * How the local stack runs its emulators: one child process per server, its output in a log file, ready
 * only when a health check answers, and stopped with its whole process tree.
 *
 * Why each server gets its own process group (`detached: true`): a server may be a shell script that
 * starts a JVM (OpenSearch), and signalling the group reaches every process in it. Why `setpriv
 * --pdeathsig SIGKILL`: when the Node parent dies without running `stop()` (SIGKILL, a crashed test
 * runner), the kernel kills the server too, so no orphaned JVM keeps a port busy for the next run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** A running emulator, as the stack's start script sees it. */
export interface ServiceHandle {
  /** Short name, also the log file's name: `opensearch`, `dynamodb`, `elasticmq`, `kinesis`. */
  name: string;
  /** Base URL clients use, e.g. `http://127.0.0.1:9200`. */
  url: string;
  /** Process id of the server (also its process group id). */
  pid: number;
  /** SIGTERM to the process group, SIGKILL after a grace period; resolves once every process is gone. */
  stop(): Promise<void>;
}

/** What every `start<Name>()` takes. */
export interface ServiceOptions {
  /** TCP port the server listens on; see `freePort()` for tests. */
  port: number;
  /** Interface to bind where the server supports it, and the host of the returned URL. */
  host?: string;
  /** The server's own working directory (data, generated config); created if missing. */
  dataDir: string;
  /** Where stdout and stderr go; defaults to `<dataDir>/<name>.log`. */
  logFile?: string;
  /** How long to wait for the health check before giving up (ms). */
  startTimeoutMs?: number;
}

/** Thrown when a server cannot start; the message carries the end of its log. */
export class ServiceStartError extends Error {
  override name = 'ServiceStartError';
}

/** Raised by a health probe that wants to stop the wait at once (e.g. a wrong server on the port). */
export class FatalProbeError extends Error {
  override name = 'FatalProbeError';
}

/** Asks the OS for a free TCP port (listen on 0, read it, close). For tests that need random ports. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() =>
        port ? resolve(port) : reject(new Error('could not read the port of a probe socket')),
      );
    });
  });
}

/**
 * Fails with a clear message when `port` is taken, before a server is spawned: otherwise the server dies
 * with a bind error deep in its log, or worse, the health check talks to whatever already listens there.
 */
export async function assertPortFree(name: string, port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new ServiceStartError(
            `${name}: port ${port} on ${host} is already in use. Another local stack may be running ` +
              `(find it with: ss -ltnp 'sport = :${port}'), or pick another port.`,
          ),
        );
      } else {
        reject(new ServiceStartError(`${name}: cannot bind ${host}:${port}: ${error.message}`));
      }
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** The last `count` lines of a file, or a note when it cannot be read. */
export function tailFile(file: string, count = 40): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-count).join('\n');
  } catch (error) {
    return `(cannot read ${file}: ${(error as Error).message})`;
  }
}

let setprivPath: string | null | undefined;

/** `setpriv` from util-linux, when this is Linux and it is installed. */
function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== 'linux') return setprivPath;
  for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv']) {
    if (existsSync(candidate)) {
      setprivPath = candidate;
      break;
    }
  }
  return setprivPath;
}

/** A user to drop to: OpenSearch refuses to run as root. */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * The unprivileged user a root parent runs OpenSearch as (`nobody`), or undefined when not root.
 * Throws when root and `setpriv` is missing, since then there is no way to start OpenSearch at all.
 */
export function unprivilegedUserIfRoot(name: string): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  if (!findSetpriv()) {
    throw new ServiceStartError(
      `${name} refuses to run as root, and setpriv (util-linux) is not installed to drop privileges. ` +
        'Run the local stack as a normal user, or install util-linux.',
    );
  }
  const lookup = (database: 'passwd' | 'group', key: string): number | undefined => {
    try {
      const entry = execFileSync('getent', [database, key], { encoding: 'utf8' });
      const id = Number(entry.split(':')[2]);
      return Number.isInteger(id) ? id : undefined;
    } catch {
      return undefined;
    }
  };
  const uid = lookup('passwd', 'nobody') ?? 65534;
  const gid = lookup('group', 'nogroup') ?? lookup('group', 'nobody') ?? 65534;
  return { uid, gid };
}

/**
 * Wraps a command so the kernel SIGKILLs it when its parent dies, and optionally drops to another user.
 * setpriv applies the death signal after changing credentials (a credential change clears it), and then
 * execs the command, so the returned pid is the server's own.
 */
function wrapCommand(command: string, args: string[], runAs?: RunAs): { command: string; args: string[] } {
  const setpriv = findSetpriv();
  if (!setpriv) return { command, args };
  const options = ['--pdeathsig', 'SIGKILL'];
  if (runAs) options.push(`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups');
  return { command: setpriv, args: [...options, '--', command, ...args] };
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
}

/**
 * Spawns a server in its own process group with output appended to its log file, and resolves once
 * `healthCheck` passes. Rejects (after killing what it started) when the server exits first or the
 * timeout passes, with the end of the log in the message.
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceHandle> {
  const { name, url, logFile, startTimeoutMs } = options;
  mkdirSync(dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'a');
  writeSync(
    logFd,
    `\n=== ${new Date().toISOString()} starting ${name}: ${options.command} ${options.args.join(' ')}\n`,
  );
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

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
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
  while (!hasExited) {
    if (Date.now() > deadline) {
      return failWith(
        `no healthy answer from ${url} within ${startTimeoutMs} ms (last probe: ${lastProbeError})`,
      );
    }
    const probe = AbortSignal.timeout(Math.min(5_000, Math.max(500, deadline - Date.now())));
    try {
      if (await options.healthCheck(probe)) {
        return { name, url, pid, stop };
      }
      lastProbeError = 'not ready';
    } catch (error) {
      if (error instanceof FatalProbeError) return failWith(error.message);
      lastProbeError = describeError(error);
    }
    // Poll fast at first (most servers answer within seconds), then back off to spare the CPU.
    await Promise.race([delay(interval), exited]);
    interval = Math.min(interval * 1.5, 500);
  }
  const { code, signal } = await exited;
  return failWith(`the process exited early (${signal ? `signal ${signal}` : `exit code ${code}`})`);
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
 */
async function terminateGroup(
  pgid: number,
  exited: Promise<unknown>,
  hasExited: () => boolean,
  graceMs: number,
): Promise<void> {
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGTERM');
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
