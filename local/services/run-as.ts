/**
 * How a server process is wrapped on Linux: `setpriv --pdeathsig SIGKILL`, so the kernel kills it when
 * the Node parent dies without running `stop()` (SIGKILL, a crashed test runner) and no orphaned JVM
 * keeps a port busy for the next run; and, for OpenSearch started by root, a drop to an unprivileged user.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ServiceStartError } from './service-handle.js';

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

/** True when `user` can do `test <flag> path` (read a file, traverse a folder). */
export function userCan(user: RunAs, flag: '-r' | '-x', path: string): boolean {
  try {
    execFileSync('setpriv', [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--clear-groups',
      'test',
      flag,
      path,
    ]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Wraps a command so the kernel SIGKILLs it when its parent dies, and optionally drops to another user.
 * setpriv applies the death signal after changing credentials (a credential change clears it), and then
 * execs the command, so the returned pid is the server's own.
 */
export function wrapCommand(
  command: string,
  args: string[],
  runAs?: RunAs,
): { command: string; args: string[] } {
  const setpriv = findSetpriv();
  if (!setpriv) return { command, args };
  const options = ['--pdeathsig', 'SIGKILL'];
  if (runAs) options.push(`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups');
  return { command: setpriv, args: [...options, '--', command, ...args] };
}
