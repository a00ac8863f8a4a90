/**
 * The command line's input and output in unit tests: an output whose streams are captured, with a
 * clock the test moves, and an endpoints file whose servers are nowhere (clients are mocked or fail).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createOutput } from '../../cli/output.js';
import { ENDPOINT_FIELDS } from '../../cli/target.js';

/** An output whose stdout and stderr are captured, with a clock the test moves. */
export function capturedOutput(options: { tty?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let clock = 0;
  const sink = (into: string[], isTTY: boolean) =>
    Object.assign(
      new Writable({
        write(chunk, _encoding, done) {
          into.push(String(chunk));
          done();
        },
      }),
      { isTTY },
    );
  const output = createOutput({
    stdout: sink(out, false),
    stderr: sink(err, options.tty ?? false),
    now: () => clock,
  });
  return {
    output,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/** A well-formed endpoints file in `folder` whose servers are nowhere (nothing listens on port 1). */
export async function endpointsFileIn(folder: string): Promise<string> {
  const file = join(folder, 'endpoints.json');
  await writeFile(
    file,
    JSON.stringify(Object.fromEntries(ENDPOINT_FIELDS.map((name) => [name, 'http://127.0.0.1:1']))),
  );
  return file;
}
