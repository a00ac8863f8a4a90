/**
 * The command line against the real local stack: `status` finds every resource through the endpoints
 * file that `npm start` writes, and reports the pipeline's health, its consumers' lag included.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { createOutput } from '../../cli/output.js';
import { localStack } from '../helpers/local-stack-client.js';

describe('pipeline status', () => {
  it('reports the local stack healthy, with its stream, dead letters and search', async () => {
    // Given the endpoints file of a running local stack
    const file = join(await mkdtemp(join(tmpdir(), 'cli-')), 'endpoints.json');
    await writeFile(file, JSON.stringify(localStack()));
    let stdout = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        stdout += String(chunk);
        done();
      },
    });

    // When the operator asks for the status
    const code = await runCli(['status', '--endpoints', file], createOutput({ stdout: sink, stderr: sink }));

    // Then every check answers
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/stream\s+ACTIVE, 1 open shard\(s\)/);
    expect(stdout).toMatch(/consumers behind\s+.*indexer \d+\.\d s.*rollup-writer \d+\.\d s/);
    expect(stdout).toMatch(/dead letters waiting\s+\d+ \(\+\d+ in flight\)/);
    expect(stdout).toMatch(/opensearch\s+(green|yellow)/);
    expect(stdout).toMatch(/searchable events\s+\d+/);
  });

  it('ends with one line saying the stack may not be running when none of its servers answers', async () => {
    // Given the endpoints file of a stack that has stopped (nothing listens on port 1)
    const stopped = JSON.parse(JSON.stringify(localStack()).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:1'));
    const file = join(await mkdtemp(join(tmpdir(), 'cli-')), 'endpoints.json');
    await writeFile(file, JSON.stringify(stopped));
    let stderr = '';
    const sink = (into: (text: string) => void) =>
      new Writable({
        write(chunk, _encoding, done) {
          into(String(chunk));
          done();
        },
      });

    // When the operator asks for the status
    const code = await runCli(
      ['status', '--endpoints', file],
      createOutput({ stdout: sink(() => undefined), stderr: sink((text) => (stderr += text)) }),
    );

    // Then it fails with one line that says why
    expect(code).toBe(1);
    expect(stderr).toBe(
      'status failed: no server of the local stack answered: is the stack running? (`npm start` starts the local stack; --stack <name> names a deployed one)\n',
    );
  });
});
