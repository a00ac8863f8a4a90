/**
 * Runs `npm run pipeline -- <args>` in-process against the stack of the test project, as an operator
 * would run it against `npm start`'s stack: through an endpoints file, with stdout and stderr captured.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../cli/main.js';
import { createOutput } from '../../cli/output.js';
import { localStack } from './local-stack-client.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let endpointsFile: Promise<string> | undefined;

/** The stack's endpoints, written once per test file where `--endpoints` can read them. */
export function stackEndpointsFile(): Promise<string> {
  endpointsFile ??= mkdtemp(join(tmpdir(), 'cli-')).then(async (folder) => {
    const file = join(folder, 'endpoints.json');
    await writeFile(file, JSON.stringify(localStack()));
    return file;
  });
  return endpointsFile;
}

/** Runs one command line of the pipeline CLI against the test stack. */
export async function pipeline(...args: string[]): Promise<CliRun> {
  const captured = { stdout: '', stderr: '' };
  const sink = (stream: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _encoding, done) {
        captured[stream] += String(chunk);
        done();
      },
    });
  const code = await runCli(
    [...args, '--endpoints', await stackEndpointsFile()],
    createOutput({ stdout: sink('stdout'), stderr: sink('stderr') }),
  );
  return { code, ...captured };
}

/** Writes the lines of a run file (what `pipeline load` writes) for `reconcile --ids`. */
export async function runFile(
  events: { account_id: string; event_id: string; timestamp?: string; status?: string }[],
): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'run-')), 'run.jsonl');
  await writeFile(file, events.map((event) => JSON.stringify({ status: 'accepted', ...event })).join('\n'));
  return file;
}
