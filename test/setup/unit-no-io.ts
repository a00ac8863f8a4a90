/**
 * Setup file of the `unit` test project: a unit test runs nothing but the code under test. Starting a
 * process, connecting anywhere, listening on a port or resolving a name throws at once, naming where
 * such a test belongs, instead of quietly depending on a server (or a network) being there.
 *
 * Every TCP connection goes through `net.Socket.prototype.connect` (net.connect, http/https requests,
 * TLS, HTTP/2, fetch through Node's bundled undici, the AWS SDK's handlers), and every TCP server
 * through `net.Server.prototype.listen`; UDP and DNS have their own entry points. The CommonJS module
 * objects are patched and `syncBuiltinESMExports` carries the change to ESM named imports
 * (`import { spawn } from 'node:child_process'`). Vitest's own worker talks to its parent over the IPC
 * channel it was forked with, which none of this touches.
 */
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

type Refused = 'open sockets' | 'start processes';

/** The error every guarded entry point throws; the detail says what the test tried. */
export class UnitIsolationError extends Error {
  constructor(what: Refused, detail: string) {
    super(`unit tests may not ${what}: move this test to test/emulator or test/stack (tried to ${detail})`);
    this.name = 'UnitIsolationError';
  }
}

/** Replaces the named functions of `target` with ones that throw. */
function refuse(target: object, names: string[], what: Refused, detail: string): void {
  for (const name of names) {
    Object.defineProperty(target, name, {
      configurable: true,
      writable: true,
      value: function refused() {
        throw new UnitIsolationError(what, `${detail} (${name})`);
      },
    });
  }
}

/** `host:port` or the IPC path a connect call names, whichever way it was called. */
function connectTarget(args: unknown[]): string {
  // net.connect() hands Socket#connect its arguments already normalized, as one array.
  const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; port?: number; path?: string };
    return options.path ?? `${options.host ?? 'localhost'}:${options.port}`;
  }
  return typeof second === 'string' ? `${second}:${first}` : String(first);
}

refuse(
  childProcess,
  ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'],
  'start processes',
  'start a child process',
);

net.Socket.prototype.connect = function connect(...args: unknown[]) {
  throw new UnitIsolationError('open sockets', `connect to ${connectTarget(args)}`);
} as typeof net.Socket.prototype.connect;

net.Server.prototype.listen = function listen() {
  throw new UnitIsolationError('open sockets', 'listen on a port');
} as typeof net.Server.prototype.listen;

refuse(dgram.Socket.prototype, ['bind', 'connect', 'send'], 'open sockets', 'use UDP');

const RESOLVER_METHODS = Object.getOwnPropertyNames(dns.Resolver.prototype).filter(
  (name) => name.startsWith('resolve') || name === 'reverse',
);
for (const api of [dns, dns.promises]) {
  const names = ['lookup', 'lookupService', ...RESOLVER_METHODS].filter((name) => name in api);
  refuse(api, names, 'open sockets', 'resolve a name');
  refuse(api.Resolver.prototype, RESOLVER_METHODS, 'open sockets', 'resolve a name');
}

syncBuiltinESMExports();
