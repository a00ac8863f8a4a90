import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newDevAccount } from '../../../local/accounts.js';
import { startLocalStack } from '../../../local/stack.js';
import { lockDataDir, lockFile, type ProcessProbe, StackLockedError } from '../../../local/stack-lock.js';

/** A process table: pid -> start time; a pid not in it is not running. */
function processes(table: Record<number, string>): ProcessProbe {
  return { isAlive: (pid) => pid in table, startTime: (pid) => table[pid] };
}

const FIRST = 101;
const SECOND = 202;

async function dataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'stack-lock-'));
}

describe('lockDataDir', () => {
  it('refuses a second stack while the first runs, naming its pid and how to stop it', async () => {
    // Prepare
    const dir = await dataDir();
    const table = processes({ [FIRST]: '900', [SECOND]: '950' });
    await lockDataDir(dir, undefined, table, FIRST);

    // Act
    const second = lockDataDir(dir, undefined, table, SECOND);

    // Assess
    await expect(second).rejects.toThrow(StackLockedError);
    await expect(second).rejects.toThrow(`another local stack (pid ${FIRST}`);
    await expect(second).rejects.toThrow(`kill ${FIRST}`);
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8')).pid).toBe(FIRST);
  });

  it('takes over the lock of a stack that died without stopping', async () => {
    // Prepare: FIRST took the lock and was killed (gone from the table).
    const dir = await dataDir();
    await lockDataDir(dir, undefined, processes({ [FIRST]: '900' }), FIRST);

    // Act
    await lockDataDir(dir, undefined, processes({ [SECOND]: '950' }), SECOND);

    // Assess
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8')).pid).toBe(SECOND);
    expect(await readdir(dir)).toEqual(['stack.lock']);
  });

  it('takes over a lock whose pid now names another process (pid reuse after a crash)', async () => {
    // Prepare: FIRST's pid runs again, but started at another time.
    const dir = await dataDir();
    await lockDataDir(dir, undefined, processes({ [FIRST]: '900' }), FIRST);

    // Act
    await lockDataDir(dir, undefined, processes({ [FIRST]: '7777', [SECOND]: '950' }), SECOND);

    // Assess
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8')).pid).toBe(SECOND);
  });

  it('takes over a torn or empty lock file', async () => {
    // Prepare
    const dir = await dataDir();
    await writeFile(lockFile(dir), '{"pid":');

    // Act
    await lockDataDir(dir, undefined, processes({ [SECOND]: '950' }), SECOND);

    // Assess
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8')).pid).toBe(SECOND);
  });

  it('lets the next stack in once the first released it', async () => {
    // Prepare
    const dir = await dataDir();
    const table = processes({ [FIRST]: '900', [SECOND]: '950' });
    const first = await lockDataDir(dir, undefined, table, FIRST);
    await first.release();

    // Act
    await lockDataDir(dir, undefined, table, SECOND);

    // Assess
    expect(JSON.parse(await readFile(lockFile(dir), 'utf8')).pid).toBe(SECOND);
  });

  it('publishes the endpoints file, removes it on release, and removes a stale one on the next lock', async () => {
    // Prepare: a stack that died left its endpoints file.
    const dir = await dataDir();
    const endpointsFile = join(dir, 'endpoints.json');
    await writeFile(endpointsFile, '{"ingestUrl":"http://127.0.0.1:1/v1/events"}');
    const table = processes({ [SECOND]: '950' });

    // Act
    const lock = await lockDataDir(dir, endpointsFile, table, SECOND);
    const staleGone = !existsSync(endpointsFile);
    await lock.publish({ ingestUrl: 'http://127.0.0.1:3000/v1/events' });
    const published = JSON.parse(await readFile(endpointsFile, 'utf8'));
    await lock.release();

    // Assess
    expect(staleGone).toBe(true);
    expect(published.ingestUrl).toBe('http://127.0.0.1:3000/v1/events');
    expect(existsSync(endpointsFile)).toBe(false);
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it("leaves a live stack's endpoints file alone when refused", async () => {
    // Prepare
    const dir = await dataDir();
    const endpointsFile = join(dir, 'endpoints.json');
    const table = processes({ [FIRST]: '900', [SECOND]: '950' });
    const first = await lockDataDir(dir, endpointsFile, table, FIRST);
    await first.publish({ ingestUrl: 'first' });

    // Act
    const second = lockDataDir(dir, endpointsFile, table, SECOND);

    // Assess
    await expect(second).rejects.toThrow(StackLockedError);
    expect(JSON.parse(await readFile(endpointsFile, 'utf8')).ingestUrl).toBe('first');
  });
});

describe('startLocalStack on a data folder another stack holds', () => {
  it('refuses before it touches the running stack’s data', async () => {
    // Prepare: this process's parent stands for a running stack; its servers' data is there.
    const dir = await dataDir();
    await mkdir(join(dir, 'kinesalite', 'db'), { recursive: true });
    await writeFile(join(dir, 'kinesalite', 'db', 'CURRENT'), 'MANIFEST-000002\n');
    const { processStartTime } = await import('../../../local/launcher-watch.js');
    const holder = { pid: process.ppid, startTime: processStartTime(process.ppid), startedAt: 'earlier' };
    await writeFile(lockFile(dir), JSON.stringify(holder));

    // Act
    const started = startLocalStack({ dataDir: dir, account: newDevAccount('acct_lock') });

    // Assess
    await expect(started).rejects.toThrow(StackLockedError);
    expect(existsSync(join(dir, 'kinesalite', 'db', 'CURRENT'))).toBe(true);
  });
});
