import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateDevAccount } from '../../../local/accounts.js';

async function accountFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'dev-account-')), 'dev-account.json');
}

describe('loadOrCreateDevAccount', () => {
  it('makes an account on the first start and keeps it on the next', async () => {
    // Prepare
    const file = await accountFile();

    // Act
    const first = await loadOrCreateDevAccount(file);
    const second = await loadOrCreateDevAccount(file);

    // Assess
    expect(second).toEqual(first);
    expect(first.accountId).toMatch(/^acct_dev_/);
    expect(await readdir(join(file, '..'))).toEqual(['dev-account.json']);
  });

  it('names a truncated file and what to do, instead of a bare JSON error', async () => {
    // Prepare: a start killed while writing it, or an editor's half-saved file.
    const file = await accountFile();
    await writeFile(file, '{\n  "accountId": "acct_dev_1');

    // Act
    const loaded = loadOrCreateDevAccount(file);

    // Assess
    await expect(loaded).rejects.toThrow(`${file} is not a development account`);
    await expect(loaded).rejects.toThrow('delete it and start again');
  });

  it('names the missing fields before the stack starts, not DynamoDB after it', async () => {
    // Prepare
    const file = await accountFile();
    await writeFile(file, JSON.stringify({ accountId: 'acct_dev_1', writeKey: '' }));

    // Act
    const loaded = loadOrCreateDevAccount(file);

    // Assess
    await expect(loaded).rejects.toThrow('(no writeKey, readKey)');
    expect(JSON.parse(await readFile(file, 'utf8')).accountId).toBe('acct_dev_1');
  });
});
