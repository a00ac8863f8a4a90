/**
 * What a developer sees when `npm start` cannot start: a taken port, or a JDK the emulators cannot run
 * on, named at once, before any server starts, and nothing left behind (no process, no lock); and a
 * Ctrl-C while a server boots, which stops it at once rather than after it is up.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newDevAccount } from '../../local/accounts.js';
import { isAlive } from '../../local/process-alive.js';
import { ensureEmulatorsInstalled } from '../../local/services/install.js';
import { spawnService } from '../../local/services/process.js';
import { startLocalStack } from '../../local/stack.js';
import { lockFile } from '../../local/stack-lock.js';
import { resolvePorts } from '../../local/stack-ports.js';

let squatter: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
  squatter = undefined;
});

/** Something else (a dev server, say) listening on a port. */
async function occupiedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  squatter = server;
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

describe('startLocalStack with a port taken', () => {
  it('names the REST gateway port before starting any server, and leaves nothing behind', async () => {
    // Prepare: the REST gateway's port (3000 for npm start) is taken; every other port is free.
    const dataDir = await mkdtemp(join(tmpdir(), 'stack-ports-'));
    const taken = await occupiedPort();
    const ports = { ...(await resolvePorts('random', '127.0.0.1')), rest: taken };
    const started = performance.now();

    // Act
    const start = startLocalStack({ dataDir, ports, account: newDevAccount('acct_ports') });

    // Assess: before, every server and function started (a minute on this machine), then EADDRINUSE.
    await expect(start).rejects.toThrow(`the REST gateway: port ${taken} on 127.0.0.1 is already in use`);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await readdir(dataDir)).toEqual(['logs']);
    expect(existsSync(lockFile(dataDir))).toBe(false);
  });
});

describe('the emulators on a JDK they cannot run on', () => {
  it('names the version and what to do, even with the emulators already installed', async () => {
    // Prepare: a JDK 25 (Java 24 removed the security manager OpenSearch 2.x starts with).
    const home = await mkdtemp(join(tmpdir(), 'jdk-25-'));
    await mkdir(join(home, 'bin'));
    await writeFile(
      join(home, 'bin', 'java'),
      '#!/bin/sh\necho \'openjdk version "25.0.3" 2026-04-21\' >&2\n',
    );
    await chmod(join(home, 'bin', 'java'), 0o755);
    vi.stubEnv('JAVA_HOME', home);

    // Act
    const installed = ensureEmulatorsInstalled({ progress: () => undefined });

    // Assess: before, OpenSearch "exited early", quoting 40 lines of a JVM flags dump.
    await expect(installed).rejects.toThrow(`${home} is Java 25`);
    vi.unstubAllEnvs();
  });
});

describe('a server start abandoned while it boots', () => {
  it('stops the server at once and rejects', async () => {
    // Prepare: a server that never becomes healthy (OpenSearch booting on a busy machine).
    const dir = await mkdtemp(join(tmpdir(), 'abandoned-start-'));
    const pidFile = join(dir, 'pid');
    const program = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
    const interrupt = new AbortController();
    const start = spawnService({
      name: 'slow-server',
      url: 'http://127.0.0.1:1',
      command: process.execPath,
      args: ['-e', program],
      cwd: dir,
      logFile: join(dir, 'slow-server.log'),
      healthCheck: async () => false,
      startTimeoutMs: 60_000,
      stopGraceMs: 2_000,
      signal: interrupt.signal,
    });
    start.catch(() => undefined);
    while (!existsSync(pidFile)) await new Promise((resolve) => setTimeout(resolve, 50));
    const pid = Number(await readFile(pidFile, 'utf8'));
    const started = performance.now();

    // Act
    interrupt.abort();

    // Assess: before, the start went on until the server was healthy or its timeout (OpenSearch: 180 s).
    await expect(start).rejects.toThrow('slow-server did not start: interrupted');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(isAlive(pid)).toBe(false);
  });
});

describe('Ctrl-C while the stack starts', () => {
  it('stops what had started, releases the data folder, and only then lets the process end', async () => {
    // Prepare: a stack starting in a process of its own, as `npm start` runs it.
    const dataDir = await mkdtemp(join(tmpdir(), 'interrupted-start-'));
    const fixture = join(import.meta.dirname, 'fixtures', 'interrupted-start.ts');
    // Output to a file, as to a terminal: a pipe would hold the child's event loop open by itself.
    const outputFile = join(dataDir, 'output.txt');
    const out = openSync(outputFile, 'w');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir], {
      stdio: ['ignore', out, out],
      // Its own process group, which Ctrl-C signals as a whole: esbuild's service process gets it too.
      detached: true,
    });
    closeSync(out);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    while (!readFileSync(outputFile, 'utf8').includes('Starting servers')) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Act
    process.kill(-(child.pid ?? 0), 'SIGINT');

    // Assess: before, the event loop emptied while the servers stopped, and the process ended mid-way.
    expect(await exited).toBe(0);
    const output = readFileSync(outputFile, 'utf8');
    // The servers still booting were stopped at once ("interrupted"), not waited for.
    expect(output).toMatch(/rejected: \w+ did not start: interrupted/);
    expect(output).not.toContain('started');
    expect(existsSync(lockFile(dataDir))).toBe(false);
  });
});
