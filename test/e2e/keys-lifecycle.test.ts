/**
 * Accounts and keys through the command line against the real local stack: a created account's key
 * posts at once, a key created with limits is throttled by them, `keys list` shows no secret, a revoked
 * key is refused, and a revoked read key's live connections are closed.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runCli } from '../../cli/main.js';
import { createOutput } from '../../cli/output.js';
import { liveToken, localStack } from '../helpers/local-stack-client.js';

let endpointsFile: string;

beforeAll(async () => {
  endpointsFile = join(await mkdtemp(join(tmpdir(), 'keys-cli-')), 'endpoints.json');
  await writeFile(endpointsFile, JSON.stringify(localStack()));
});

/** Runs `pipeline <args>` against the test stack; its exit code and everything it printed. */
async function pipeline(...args: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  const code = await runCli(
    [...args, '--endpoints', endpointsFile],
    createOutput({ stdout: sink, stderr: sink }),
  );
  return { code, text };
}

/** A live connection opened with `token`, and the close code it ends with (whoever closes it). */
async function openSocket(token: string): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(`${localStack().websocketUrl}/?token=${encodeURIComponent(token)}`);
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, closed };
}

async function post(key: string): Promise<number> {
  const response = await fetch(localStack().ingestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ type: 'page_view' }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('pipeline accounts and keys', () => {
  it('creates an account and keys that work at once, lists them without secrets, and revokes one', async () => {
    // Given a new account, created with its keys
    const accountId = `acct_cli_${Date.now().toString(36)}`;
    const created = await pipeline('accounts', 'create', '--id', accountId, '--name', 'CLI shop');
    expect(created.code, created.text).toBe(0);
    const accountWriteKey = created.text.match(/wk_[A-Za-z0-9_-]{24}/)?.[0] as string;
    expect(accountWriteKey).toBeDefined();

    // When a write key limited to bursts of 2 is added, and another that will be revoked unused
    const limited = await pipeline(
      'keys',
      'create',
      '--account',
      accountId,
      '--scope',
      'write',
      '--rate',
      '1',
      '--burst',
      '2',
    );
    const spare = await pipeline('keys', 'create', '--account', accountId, '--scope', 'write');
    expect([limited.code, spare.code]).toEqual([0, 0]);
    const limitedKey = limited.text.match(/secret: (wk_\S+)/)?.[1] as string;
    const spareKey = spare.text.match(/secret: (wk_\S+)/)?.[1] as string;
    const spareId = spare.text.match(/\bkey_[0-9a-f]{16}\b/)?.[0] as string;

    // Then the keys post at once, and the limited one is throttled past its burst
    expect(await post(accountWriteKey)).toBe(202);
    const burst = await Promise.all([1, 2, 3, 4, 5, 6].map(() => post(limitedKey)));
    const accepted = burst.filter((status) => status === 202).length;
    // Its burst of 2, and at most one more if a second passed while the authorizer ran (a busy machine).
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(accepted).toBeLessThanOrEqual(3);
    expect(burst.filter((status) => status === 429)).toHaveLength(6 - accepted);

    // And the list names four keys by id and prefix, never a secret
    const listed = await pipeline('keys', 'list', '--account', accountId);
    expect(listed.text).toContain(`4 key(s) of account ${accountId}`);
    for (const secret of [accountWriteKey, limitedKey, spareKey]) expect(listed.text).not.toContain(secret);
    expect(listed.text).toMatch(/1\/s, burst 2/);

    // When the spare key is revoked, it is refused, and a second revoke says it already was
    const revoked = await pipeline('keys', 'revoke', spareId);
    expect(revoked.code, revoked.text).toBe(0);
    expect(await post(spareKey)).toBe(401);
    expect((await pipeline('keys', 'revoke', spareId)).text).toContain('was already revoked');
    expect((await pipeline('keys', 'list', '--account', accountId)).text).toMatch(
      new RegExp(`${spareId} .* revoked`),
    );
  });

  it("closes the live connections a revoked read key's tokens opened, and only those", async () => {
    // Given an account with two read keys, and a dashboard connected with a token of each
    const accountId = `acct_cli_live_${Date.now().toString(36)}`;
    expect((await pipeline('accounts', 'create', '--id', accountId)).code).toBe(0);
    const created = await Promise.all(
      [1, 2].map(() => pipeline('keys', 'create', '--account', accountId, '--scope', 'read')),
    );
    const [revokedKey, keptKey] = created.map(
      (result) => result.text.match(/secret: (rk_\S+)/)?.[1] as string,
    );
    const revokedId = created[0]?.text.match(/\bkey_[0-9a-f]{16}\b/)?.[0] as string;
    const [doomed, kept] = await Promise.all(
      [revokedKey, keptKey].map(async (key) => openSocket(await liveToken(key as string))),
    );

    // When the first key is revoked
    const revoked = await pipeline('keys', 'revoke', revokedId);

    // Then its connection is closed by the server, and the other key's stays open
    expect(revoked.code, revoked.text).toBe(0);
    expect(revoked.text).toContain('Closed 1 live connection(s)');
    expect(await doomed?.closed).toBeGreaterThan(0);
    expect(kept?.socket.readyState).toBe(WebSocket.OPEN);
    kept?.socket.close();
  });

  it("refuses a revoked read key's token when its dashboards reconnect at once, as the page does", async () => {
    // Given a read key whose token holds more connections than there are $connect environments, so
    // that every warm environment has looked the key up
    const accountId = `acct_cli_reconnect_${Date.now().toString(36)}`;
    expect((await pipeline('accounts', 'create', '--id', accountId)).code).toBe(0);
    const created = await pipeline('keys', 'create', '--account', accountId, '--scope', 'read');
    const readKey = created.text.match(/secret: (rk_\S+)/)?.[1] as string;
    const keyId = created.text.match(/\bkey_[0-9a-f]{16}\b/)?.[0] as string;
    const token = await liveToken(readKey);
    const dashboards = await Promise.all(Array.from({ length: 8 }, () => openSocket(token)));

    // When the key is revoked (its connections are closed), and the dashboards reconnect at once
    expect((await pipeline('keys', 'revoke', keyId)).code).toBe(0);
    await Promise.all(dashboards.map((dashboard) => dashboard.closed));
    const reconnects = await Promise.all(
      Array.from({ length: 8 }, () =>
        openSocket(token).then(
          ({ socket }) => {
            socket.close();
            return 'accepted';
          },
          (error: Error) => error.message,
        ),
      ),
    );

    // Then every one is refused: a connection accepted now would receive the account's events for
    // two hours after the key was revoked
    expect(reconnects).toEqual(Array(8).fill('Unexpected server response: 401'));
  });

  it('refuses a key for an account that does not exist', async () => {
    const result = await pipeline('keys', 'create', '--account', 'acct_nobody', '--scope', 'read');
    expect(result.code).toBe(1);
    expect(result.text).toContain('account acct_nobody does not exist');
  });
});
