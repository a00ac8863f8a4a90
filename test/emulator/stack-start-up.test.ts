/**
 * What a developer sees when `npm start` cannot start: a taken port, or a JDK the emulators cannot run
 * on, named at once, before any server starts, and nothing left behind (no process, no lock).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newDevAccount } from '../../local/accounts.js';
import { ensureEmulatorsInstalled } from '../../local/services/install.js';
import { freePort } from '../../local/services/ports.js';
import { DEFAULT_PORTS, type LocalPorts, startLocalStack } from '../../local/stack.js';
import { lockFile } from '../../local/stack-lock.js';

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

async function freePorts(): Promise<LocalPorts> {
  const names = Object.keys(DEFAULT_PORTS) as (keyof LocalPorts)[];
  const entries = await Promise.all(names.map(async (name) => [name, await freePort()] as const));
  return Object.fromEntries(entries) as unknown as LocalPorts;
}

describe('startLocalStack with a port taken', () => {
  it('names the REST gateway port before starting any server, and leaves nothing behind', async () => {
    // Prepare: the REST gateway's port (3000 for npm start) is taken; every other port is free.
    const dataDir = await mkdtemp(join(tmpdir(), 'stack-ports-'));
    const taken = await occupiedPort();
    const ports = { ...(await freePorts()), rest: taken };
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
