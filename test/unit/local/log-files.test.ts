import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogFile } from '../../../local/logs.js';

async function logPath(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'log-files-')), 'logs', 'ingest.log');
}

const LINE = `{"level":"INFO","message":"request refused","reason":"unknown key","padding":"${'x'.repeat(60)}"}`;

describe('openLogFile', () => {
  it('keeps a stack running for days within twice its cap however many lines it writes', async () => {
    // Prepare
    const path = await logPath();
    const maxBytes = 64 * 1024;
    const file = openLogFile(path, maxBytes);

    // Act: about 30 times the cap
    for (let index = 0; index < 20_000; index += 1) file.write(`${index} ${LINE}`);
    await file.close();

    // Assess
    const current = statSync(path).size;
    const previous = statSync(`${path}.1`).size;
    expect(current).toBeLessThanOrEqual(maxBytes);
    expect(previous).toBeLessThanOrEqual(maxBytes);
    expect((await readFile(path, 'utf8')).trimEnd().split('\n').at(-1)).toBe(`19999 ${LINE}`);
    const rotated = (await readFile(`${path}.1`, 'utf8')).trimEnd().split('\n');
    const lastRotated = Number(rotated.at(-1)?.split(' ')[0]);
    const firstCurrent = Number((await readFile(path, 'utf8')).split(' ')[0]);
    expect(firstCurrent).toBe(lastRotated + 1);
  });

  it('counts what a previous run left in the file against the cap', async () => {
    // Prepare
    const path = await logPath();
    const file = openLogFile(path, 1024);
    file.write('first run');
    await file.close();
    await writeFile(path, 'y'.repeat(1000), { flag: 'a' });

    // Act
    const again = openLogFile(path, 1024);
    again.write('second run, first line');
    await again.close();

    // Assess
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('second run, first line\n');
  });

  it('drops lines written after close', async () => {
    // Prepare
    const path = await logPath();
    const file = openLogFile(path, 1024);
    file.write('kept');
    await file.close();

    // Act
    file.write('dropped');

    // Assess
    expect(await readFile(path, 'utf8')).toBe('kept\n');
  });
});
