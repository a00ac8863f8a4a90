import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '../../lib/topology.js';
import { isAlive } from '../../local/process-alive.js';
import { bundleFunctions } from '../../local/runtime/bundle.js';
import { type FunctionHost, startFunction } from '../../local/runtime/function-host.js';

const definition: FunctionDefinition = {
  id: 'ingest',
  description: 'fixture',
  entry: 'test/emulator/fixtures/handlers.ts',
  handler: 'handler',
  memorySizeMb: 128,
  timeoutSeconds: 1,
};

let outDir: string;
let bundleFile: string;
const started: FunctionHost[] = [];
let logLines: string[] = [];

async function start(
  overrides: Partial<FunctionDefinition> = {},
  file = bundleFile,
  concurrency?: number,
): Promise<FunctionHost> {
  const fn = await startFunction({
    definition: { ...definition, ...overrides },
    bundleFile: file,
    env: { CUSTOM_SETTING: 'from-env', AWS_REGION: 'eu-west-1' },
    log: (line) => logLines.push(line),
    ...(concurrency ? { concurrency } : {}),
  });
  started.push(fn);
  return fn;
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'function-host-test-'));
  const bundles = await bundleFunctions([definition], outDir);
  bundleFile = bundles.ingest.file;
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.stop()));
  logLines = [];
});

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('bundleFunctions', () => {
  it('writes a CommonJS bundle with its source map under <outDir>/<id>/index.cjs', () => {
    expect(bundleFile).toBe(join(outDir, 'ingest', 'index.cjs'));
  });

  it('names every failing function', async () => {
    // Act
    const bundling = bundleFunctions([{ ...definition, id: 'stats-api', entry: 'missing/entry.ts' }], outDir);

    // Assess
    await expect(bundling).rejects.toThrow(/stats-api/);
  });
});

describe('startFunction', () => {
  it('invokes the handler with the Lambda context and environment', async () => {
    // Prepare
    const fn = await start();

    // Act
    const result = await fn.invoke({ action: 'env' });

    // Assess
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.payload).toMatchObject({
      name: 'ingest',
      memory: '128',
      timeout: '1',
      region: 'eu-west-1',
      executionEnv: 'AWS_Lambda_nodejs22.x',
      taskRoot: join(outDir, 'ingest'),
      nodeOptions: '--enable-source-maps',
      custom: 'from-env',
      context: {
        functionName: 'ingest',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:ingest',
        memoryLimitInMB: '128',
        logGroupName: '/aws/lambda/ingest',
        callbackWaitsForEmptyEventLoop: true,
      },
    });
  });

  it('counts getRemainingTimeInMillis down from the timeout', async () => {
    // Prepare
    const fn = await start();

    // Act
    const result = await fn.invoke({ action: 'remaining' });

    // Assess
    const { first, second } = (result as { payload: { first: number; second: number } }).payload;
    expect(first).toBeGreaterThan(800);
    expect(first).toBeLessThanOrEqual(1000);
    expect(second).toBeLessThanOrEqual(first - 140);
  });

  it('returns a thrown error by name and message and keeps the environment warm', async () => {
    // Prepare
    const fn = await start();
    await fn.invoke({ action: 'echo' });

    // Act
    const failed = await fn.invoke({ action: 'throw', value: 'no type' });
    const after = await fn.invoke({ action: 'echo', value: 'x' });

    // Assess
    expect(failed).toMatchObject({ status: 'error', errorType: 'ValidationError', errorMessage: 'no type' });
    expect(after).toMatchObject({ status: 'ok', payload: { value: 'x', invocations: 3 } });
  });

  it('kills a handler that outlives its timeout and starts the next invocation cold', async () => {
    // Prepare
    const fn = await start();
    const pid = (await fn.invoke({ action: 'pid' })) as { payload: number };

    // Act
    const timedOut = await fn.invoke({ action: 'hang' });
    const next = await fn.invoke({ action: 'echo', value: 'after' });

    // Assess
    expect(timedOut).toMatchObject({
      status: 'error',
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    expect(timedOut.durationMs).toBeGreaterThanOrEqual(990);
    expect(isAlive(pid.payload)).toBe(false);
    expect(next).toMatchObject({ status: 'ok', payload: { value: 'after', invocations: 1 } });
  });

  it('reports a crash as Runtime.ExitError and respawns', async () => {
    // Prepare
    const fn = await start();

    // Act
    const crashed = await fn.invoke({ action: 'crash' });
    const next = await fn.invoke({ action: 'echo', value: 1 });

    // Assess
    expect(crashed).toMatchObject({ status: 'error', errorType: 'Runtime.ExitError' });
    expect(next).toMatchObject({ status: 'ok', payload: { invocations: 1 } });
    expect(
      logLines.some((line) => line.startsWith('[ingest]') && line.includes('boom outside the handler')),
    ).toBe(true);
  });

  it('serves concurrent invocations concurrently, each in an environment of its own', async () => {
    // Prepare
    const fn = await start({ timeoutSeconds: 10 });
    const slowMs = 1500;

    // Act
    const started = performance.now();
    const results = await Promise.all([1, 2, 3, 4].map(() => fn.invoke({ action: 'sleep', value: slowMs })));
    const elapsedMs = performance.now() - started;

    // Assess: four slow invocations take about one slow time, not four (cold starts included).
    const pids = results.map((result) => (result as { payload: { pid: number } }).payload.pid);
    expect(new Set(pids).size).toBe(4);
    expect(elapsedMs).toBeLessThan(2 * slowMs);
    expect(fn.environments()).toHaveLength(4);
  });

  it('queues invocations beyond the concurrency limit and reuses the warm environments', async () => {
    // Prepare
    const fn = await start({ timeoutSeconds: 10 }, bundleFile, 2);
    const slowMs = 800;

    // Act
    const started = performance.now();
    const results = await Promise.all([1, 2, 3, 4].map(() => fn.invoke({ action: 'sleep', value: slowMs })));
    const elapsedMs = performance.now() - started;

    // Assess: two at a time, so two slow times; the second wave ran warm in the first wave's environments.
    const payloads = results.map(
      (result) => (result as { payload: { pid: number; invocations: number } }).payload,
    );
    expect(new Set(payloads.map((payload) => payload.pid)).size).toBe(2);
    expect(payloads.map((payload) => payload.invocations).sort()).toEqual([1, 1, 2, 2]);
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * slowMs);
    expect(elapsedMs).toBeLessThan(3 * slowMs);
  });

  it('serializes invocations with a concurrency of 1', async () => {
    // Prepare
    const fn = await start({}, bundleFile, 1);

    // Act
    const results = await Promise.all([1, 2, 3].map((value) => fn.invoke({ action: 'echo', value })));

    // Assess
    expect(
      results.map((result) => (result as { payload: { invocations: number } }).payload.invocations),
    ).toEqual([1, 2, 3]);
  });

  it('retires only the environment that crashed; the others stay warm', async () => {
    // Prepare
    const fn = await start({ timeoutSeconds: 10 });
    const slow = fn.invoke({ action: 'sleep', value: 600 });
    const crashed = fn.invoke({ action: 'crash' });

    // Act
    const [slowResult, crashResult] = await Promise.all([slow, crashed]);
    const next = await fn.invoke({ action: 'sleep', value: 0 });

    // Assess
    expect(crashResult).toMatchObject({ status: 'error', errorType: 'Runtime.ExitError' });
    const survivor = (slowResult as { payload: { pid: number } }).payload.pid;
    expect(isAlive(survivor)).toBe(true);
    expect(next).toMatchObject({ status: 'ok', payload: { pid: survivor, invocations: 2 } });
    expect(logLines.some((line) => line.includes('exited (exit status 1)'))).toBe(true);
  });

  it('writes the function output to its own log file, unprefixed', async () => {
    // Prepare
    const logFile = join(outDir, 'logs', 'ingest.log');
    const fn = await startFunction({
      definition,
      bundleFile,
      env: {},
      log: (line) => logLines.push(line),
      logFile,
    });
    started.push(fn);

    // Act
    await fn.invoke({ action: 'log' });
    await fn.stop();

    // Assess
    expect(await readFile(logFile, 'utf8')).toContain('hello from ingest\n');
  });

  it('forwards the function output to the log, prefixed with its id', async () => {
    // Prepare
    const fn = await start();

    // Act
    await fn.invoke({ action: 'log' });
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    expect(logLines).toContain('[ingest] hello from ingest');
  });

  it('supports callback-style handlers', async () => {
    // Prepare
    const fn = await start({ handler: 'callbackHandler' });

    // Act
    const result = await fn.invoke({ action: 'echo', value: 7 });

    // Assess
    expect(result).toMatchObject({ status: 'ok', payload: { called: 7 } });
  });

  it('fails an invocation whose synchronous handler throws undefined, as it fails any other throw', async () => {
    // Prepare
    const fn = await start({ handler: 'throwsNothing' });

    // Act
    const result = await fn.invoke({});

    // Assess: never a success with a null payload (a stream consumer's batch would count as done).
    expect(result).toMatchObject({ status: 'error', errorType: 'undefined' });
  });

  it('fails every invocation of a missing handler with Runtime.HandlerNotFound', async () => {
    // Prepare
    const fn = await start({ handler: 'nope' });

    // Act
    const first = await fn.invoke({});
    const second = await fn.invoke({});

    // Assess
    expect(first).toMatchObject({ status: 'error', errorType: 'Runtime.HandlerNotFound' });
    expect(second).toMatchObject({ status: 'error', errorType: 'Runtime.HandlerNotFound' });
  });

  it('leaves no process behind when stopped', async () => {
    // Prepare
    const fn = await start();
    const pid = ((await fn.invoke({ action: 'pid' })) as { payload: number }).payload;

    // Act
    await fn.stop();

    // Assess
    expect(isAlive(pid)).toBe(false);
    expect(await fn.invoke({})).toMatchObject({ status: 'error', errorType: 'Local.FunctionStopped' });
  });

  it('stops with an invocation whose answer is already on its way, settling it as cut short', async () => {
    // Prepare: a warm environment, an invocation sent, and its answer left unread in the channel
    const fn = await start();
    await fn.invoke({ action: 'echo' });
    const inFlight = fn.invoke({ action: 'echo', value: 'late' });
    await new Promise((resolve) => setImmediate(resolve));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // Blocks this process while the environment answers.
    }

    // Act
    await fn.stop();

    // Assess
    expect(await inFlight).toMatchObject({ status: 'error', errorType: 'Runtime.ExitError' });
  });
});
