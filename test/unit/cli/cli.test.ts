import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { failureText, runCli } from '../../../cli/main.js';
import { formatTable } from '../../../cli/output.js';
import { ENDPOINT_FIELDS } from '../../../cli/target.js';
import { capturedOutput, endpointsFileIn } from '../../helpers/cli-io.js';

describe('the pipeline command line', () => {
  it('lists its commands and exits 2 when called without one', async () => {
    const io = capturedOutput();
    const code = await runCli([], io.output);
    expect(code).toBe(2);
    expect(io.stdout()).toMatch(/Commands:\n\s+status\s+/);
  });

  it('names an unknown command on stderr and exits 2', async () => {
    const io = capturedOutput();
    expect(await runCli(['frobnicate'], io.output)).toBe(2);
    expect(io.stderr()).toContain('unknown command "frobnicate"');
  });

  it('answers an unknown option with the usage and exit code 2', async () => {
    const io = capturedOutput();
    expect(await runCli(['status', '--bogus'], io.output)).toBe(2);
    expect(io.stderr()).toMatch(/Unknown option '--bogus'[\s\S]*Usage: pipeline status/);
  });

  it('refuses an option given twice or with an empty value, before touching any target', async () => {
    // Prepare
    const io = capturedOutput();
    const missing = ['--endpoints', '/nonexistent/endpoints.json'];

    // Act
    const scope = await runCli(
      ['keys', 'create', '--account', 'a', '--scope', 'write', '--scope', 'read', ...missing],
      io.output,
    );
    const flag = await runCli(['load', '--json', '--json', ...missing], io.output);
    const empty = await runCli(['keys', 'list', '--account', '', ...missing], io.output);
    const emptyStack = await runCli(['status', '--stack=', ...missing], io.output);
    const repeatable = await runCli(['load', '--key', 'a=wk_1', '--key', 'b=wk_2', ...missing], io.output);

    // Assess
    expect(scope).toBe(2);
    expect(flag).toBe(2);
    expect(io.stderr()).toMatch(/--scope is given more than once: give it once\n\nUsage: pipeline keys/);
    expect(io.stderr()).toContain('--json is given more than once');
    expect([empty, emptyStack]).toEqual([2, 2]);
    expect(io.stderr()).toContain('--account needs a value; it got an empty one\n\nUsage: pipeline keys');
    expect(io.stderr()).toContain('--stack needs a value; it got an empty one\n\nUsage: pipeline status');
    // --key may be repeated: it gets as far as the (missing) endpoints file.
    expect(repeatable).toBe(1);
    expect(io.stderr()).toContain('load failed: cannot read /nonexistent/endpoints.json');
  });

  it('names what is wrong with an endpoints file that is not one npm start wrote, in one line', async () => {
    // Prepare: a file of another version, one edited by hand, and JSON that is not an object.
    const folder = await mkdtemp(join(tmpdir(), 'cli-endpoints-'));
    const files = {
      empty: { region: 'us-east-1' },
      notUrl: Object.fromEntries(
        ENDPOINT_FIELDS.map((name) => [name, name === 'ingestUrl' ? 'localhost-3000' : 'http://127.0.0.1:1']),
      ),
      nothing: null,
    };
    const errors: Record<string, string> = {};
    for (const [name, content] of Object.entries(files)) {
      const file = join(folder, `${name}.json`);
      await writeFile(file, JSON.stringify(content));
      const io = capturedOutput();

      // Act
      const code = await runCli(['status', '--endpoints', file], io.output);

      // Assess
      expect(code).toBe(1);
      errors[name] = io.stderr().replace(`${folder}/`, '');
    }
    const restart =
      'restart the local stack with `npm start`, or name a deployed stack with --stack <name>\n';
    expect(errors).toEqual({
      empty: `status failed: empty.json has no ingestUrl (a file of another version?): ${restart}`,
      notUrl: `status failed: notUrl.json: ingestUrl is not a URL: ${restart}`,
      nothing: `status failed: nothing.json is not a local stack's endpoints file (not a JSON object): ${restart}`,
    });
  });

  it('load refuses an --out it cannot write and a --url that is not http(s) before posting anything', async () => {
    // Prepare: a well-formed endpoints file, a folder where the events file should go, a counting fetch.
    const folder = await mkdtemp(join(tmpdir(), 'cli-load-'));
    const endpoints = await endpointsFileIn(folder);
    let posts = 0;
    vi.stubGlobal('fetch', async () => {
      posts += 1;
      return new Response('{}', { status: 202 });
    });
    const intoFolder = capturedOutput();
    const notHttp = capturedOutput();

    // Act
    const folderCode = await runCli(
      ['load', '--events', '1', '--out', folder, '--endpoints', endpoints],
      intoFolder.output,
    );
    const urlCode = await runCli(
      ['load', '--url', 'localhost:3000/v1/events', '--endpoints', endpoints],
      notHttp.output,
    );
    vi.unstubAllGlobals();

    // Assess
    expect(posts).toBe(0);
    expect(folderCode).toBe(1);
    expect(intoFolder.stderr()).toBe(
      `load failed: cannot write --out ${folder}: EISDIR: illegal operation on a directory, open '${folder}'\n`,
    );
    expect(urlCode).toBe(2);
    expect(notHttp.stderr()).toMatch(
      /^--url must be an http:\/\/ or https:\/\/ URL, got "localhost:3000\/v1\/events"\n/,
    );
  });

  it('load says the stack may not be running when no request was answered at all', async () => {
    // Prepare: fetch fails as it does when nothing listens.
    const folder = await mkdtemp(join(tmpdir(), 'cli-load-'));
    const endpoints = await endpointsFileIn(folder);
    vi.stubGlobal('fetch', async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    });
    const io = capturedOutput();

    // Act
    const code = await runCli(
      ['load', '--events', '1', '--out', join(folder, 'sent.jsonl'), '--endpoints', endpoints],
      io.output,
    );
    vi.unstubAllGlobals();

    // Assess
    expect(code).toBe(1);
    expect(io.stdout()).toContain('HTTP answers: network x5');
    expect(io.stderr()).toContain(
      'load failed: no request to http://127.0.0.1:1/v1/events was answered: is the stack running?',
    );
  });

  it('load fails, saying why, when the API refuses its key', async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), 'cli-load-'));
    const endpoints = await endpointsFileIn(folder);
    vi.stubGlobal('fetch', async () => new Response('{"message":"unknown API key"}', { status: 401 }));
    const io = capturedOutput();

    // Act
    const code = await runCli(
      ['load', '--events', '2', '--key', 'acct-1=wk_wrong', '--out', join(folder, 'sent.jsonl')].concat([
        '--endpoints',
        endpoints,
      ]),
      io.output,
    );
    vi.unstubAllGlobals();

    // Assess
    expect(code).toBe(1);
    expect(io.stderr()).toContain(
      'load failed: 1 request(s) refused with 401/403: is each --key a write key of its account?',
    );
  });

  it('fails with a message a user can act on when the local stack is not running', async () => {
    const io = capturedOutput();
    const code = await runCli(['status', '--endpoints', '/nonexistent/endpoints.json'], io.output);
    expect(code).toBe(1);
    expect(io.stderr()).toContain('start the local stack with `npm start`');
  });
});

describe('output', () => {
  it('aligns table columns and right-aligns numbers', () => {
    expect(
      formatTable(
        ['reason', 'letters'],
        [
          ['mapper_parsing_exception', 3],
          ['too large', 120],
        ],
      ),
    ).toBe(
      [
        'reason                    letters',
        '------------------------  -------',
        'mapper_parsing_exception        3',
        'too large                     120',
        '',
      ].join('\n'),
    );
  });

  it('prints progress on a non-terminal at most every two seconds, then the final line', () => {
    const io = capturedOutput();
    const progress = io.output.progress('redrive');
    progress.update(1, 10);
    io.advance(500);
    progress.update(2, 10);
    io.advance(2_000);
    progress.update(7, 10, '1 failed');
    progress.finish('10 redriven');
    expect(io.stderr().trim().split('\n')).toEqual([
      'redrive: 1/10 (10%), 0.0 s',
      'redrive: 7/10 (70%), 2.5 s, 1 failed',
      'redrive: 10 redriven',
    ]);
  });

  it('rewrites one line on a terminal', () => {
    const io = capturedOutput({ tty: true });
    const progress = io.output.progress('load');
    progress.update(1);
    progress.update(2);
    progress.finish();
    expect(io.stderr()).toBe('\r\x1b[2Kload: 1, 0.0 s\r\x1b[2Kload: 2, 0.0 s\r\x1b[2Kload: 2, 0.0 s\n');
  });
});

describe('a failed command', () => {
  it('says in one line why, and that the stack may not be running when its servers do not answer', () => {
    // Prepare: what the SDK throws when DynamoDB Local is not listening.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });

    // Act
    const unreachable = failureText('keys', refused);
    const other = failureText('keys', new Error('AccessDeniedException: not allowed'));
    const nameOnly = failureText('keys', Object.assign(new Error(''), { name: 'TimeoutError' }));

    // Assess
    expect(unreachable).toBe(
      'keys failed: connect ECONNREFUSED 127.0.0.1:8000: is the stack running? (`npm start` starts the local stack; --stack <name> names a deployed one)',
    );
    expect(other).toBe('keys failed: AccessDeniedException: not allowed');
    expect(nameOnly).toBe('keys failed: TimeoutError');
  });
});
