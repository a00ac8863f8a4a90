/**
 * Runs one bundled function the way Lambda runs it: in its own OS process (an execution environment),
 * one invocation at a time, with the timeout enforced by killing the process. A crash or a timeout costs
 * the environment, and the next invocation gets a fresh one (a cold start), as on Lambda.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FunctionDefinition, FunctionId } from '../../lib/topology.js';
import type { InvokeMessage, ResultMessage, WorkerConfig } from './worker-protocol.js';

/** What an invocation produced, as the Invoke API reports it (`FunctionError` set or not). */
export type InvocationResult =
  | { status: 'ok'; payload: unknown; durationMs: number }
  | { status: 'error'; errorType: string; errorMessage: string; durationMs: number };

/** A running local function: what the gateways and event source mappings invoke. */
export interface LocalFunction {
  id: FunctionId;
  /** Invokes synchronously (RequestResponse); queued behind invocations already in flight. */
  invoke(event: unknown): Promise<InvocationResult>;
  /** Kills the execution environment; no process is left behind. */
  stop(): Promise<void>;
}

export interface StartFunctionOptions {
  definition: FunctionDefinition;
  /** The CommonJS bundle from `bundleFunctions`. */
  bundleFile: string;
  /** The function's configured environment (resource names, endpoints, credentials for emulators). */
  env: Record<string, string>;
  /** Receives every line the function writes, prefixed with the function id. */
  log: (line: string) => void;
  /** `AWS_REGION` of the environment unless `env` sets it; default `us-east-1`. */
  region?: string;
  /** Account id used in ARNs; default `000000000000`. */
  accountId?: string;
}

/** An invocation's result before its duration is known. */
type Settled =
  | { status: 'ok'; payload: unknown }
  | { status: 'error'; errorType: string; errorMessage: string };

interface Environment {
  child: ChildProcess;
  /** The invocation waiting for this environment to answer, if any. */
  pending?: { requestId: string; settle: (result: Settled) => void };
  exited: boolean;
}

/**
 * Starts the execution environment of `definition` (the init phase runs right away) and returns a
 * handle that invokes it. Invocations are serialized: one environment handles one request at a time.
 */
export async function startFunction(options: StartFunctionOptions): Promise<LocalFunction> {
  const workerFile = await workerScript();
  const { definition, log } = options;
  const region = options.env.AWS_REGION ?? options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const logGroupName = `/aws/lambda/${definition.id}`;
  const timeoutMs = definition.timeoutSeconds * 1000;

  let environment: Environment | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const spawn = (): Environment => {
    const config: WorkerConfig = {
      bundleFile: options.bundleFile,
      handlerName: definition.handler,
      functionName: definition.id,
      memoryLimitInMB: definition.memorySizeMb,
      invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${definition.id}`,
      logGroupName,
      logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    };
    const child = fork(workerFile, [JSON.stringify(config)], {
      // A clean environment like Lambda's, not the host's; PATH and HOME only so tools behave.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        TZ: ':UTC',
        ...options.env,
        AWS_LAMBDA_FUNCTION_NAME: definition.id,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySizeMb),
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(definition.timeoutSeconds),
        AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
        AWS_LAMBDA_LOG_STREAM_NAME: config.logStreamName,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: dirname(options.bundleFile),
        _HANDLER: `index.${definition.handler}`,
        NODE_OPTIONS: '--enable-source-maps',
      },
      execArgv: ['--enable-source-maps'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const env: Environment = { child, exited: false };
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => log(`[${definition.id}] ${line}`));
    }
    child.on('message', (message: ResultMessage) => {
      if (message?.type !== 'result' || env.pending?.requestId !== message.requestId) return;
      const { settle } = env.pending;
      env.pending = undefined;
      if (message.ok) {
        settle({ status: 'ok', payload: JSON.parse(message.payloadJson) });
      } else {
        // Retire an environment that announced its exit, so no invocation is handed to it meanwhile.
        if (message.fatal && environment === env) environment = undefined;
        settle({ status: 'error', errorType: message.errorType, errorMessage: message.errorMessage });
      }
    });
    child.on('exit', (code, signal) => {
      env.exited = true;
      if (environment === env) environment = undefined;
      if (env.pending) {
        const { settle, requestId } = env.pending;
        env.pending = undefined;
        const status = signal ? `signal ${signal}` : `exit status ${code}`;
        log(`[${definition.id}] RequestId: ${requestId} Error: Runtime exited with error: ${status}`);
        settle({
          status: 'error',
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${status}`,
        });
      }
    });
    // A failed fork (bad file, no memory) surfaces as 'error'; the exit handler settles the invocation.
    child.on('error', (error) => log(`[${definition.id}] execution environment error: ${error.message}`));
    return env;
  };

  const invokeOnce = (event: unknown): Promise<InvocationResult> => {
    const started = performance.now();
    const finish = (result: Settled): InvocationResult =>
      ({ ...result, durationMs: Math.round(performance.now() - started) }) as InvocationResult;
    if (stopped) {
      return Promise.resolve(
        finish({
          status: 'error',
          errorType: 'Local.FunctionStopped',
          errorMessage: `${definition.id} is stopped`,
        }),
      );
    }
    environment ??= spawn();
    const env = environment;
    const requestId = randomUUID();
    return new Promise<InvocationResult>((resolve) => {
      const timer = setTimeout(() => {
        if (env.pending?.requestId !== requestId) return;
        env.pending = undefined;
        // Lambda stops the environment of a timed-out invocation; the next one starts cold.
        if (environment === env) environment = undefined;
        env.child.kill('SIGKILL');
        const seconds = definition.timeoutSeconds.toFixed(2);
        log(
          `[${definition.id}] ${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`,
        );
        resolve(
          finish({
            status: 'error',
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${seconds} seconds`,
          }),
        );
      }, timeoutMs);
      env.pending = {
        requestId,
        settle: (result) => {
          clearTimeout(timer);
          resolve(finish(result));
        },
      };
      const message: InvokeMessage = { type: 'invoke', requestId, event, deadlineMs: Date.now() + timeoutMs };
      // An environment that lost its channel is exiting: its 'exit' event settles this invocation.
      if (!env.child.connected) return;
      env.child.send(message, (error) => {
        if (error && env.pending?.requestId === requestId) env.child.kill('SIGKILL');
      });
    });
  };

  // Init eagerly, so the first request is not also the first to find a broken bundle.
  environment = spawn();

  return {
    id: definition.id,
    invoke(event) {
      const result = queue.then(() => invokeOnce(event));
      queue = result.catch(() => undefined);
      return result;
    },
    async stop() {
      stopped = true;
      const env = environment;
      environment = undefined;
      if (!env || env.exited) return;
      await new Promise<void>((resolve) => {
        env.child.once('exit', () => resolve());
        env.child.kill('SIGKILL');
      });
    },
  };
}

let compiledWorker: Promise<string> | undefined;

/**
 * The worker as a file Node can fork. Compiled JavaScript ships next to this module; from TypeScript
 * sources (tsx, vitest) it is compiled once with esbuild into the temp directory, keyed by its content,
 * so the execution environment does not load a TypeScript loader the real Lambda would not have.
 */
function workerScript(): Promise<string> {
  compiledWorker ??= (async () => {
    const here = fileURLToPath(import.meta.url);
    const source = join(dirname(here), here.endsWith('.ts') ? 'function-worker.ts' : 'function-worker.js');
    if (!source.endsWith('.ts')) return source;
    const hash = createHash('sha256')
      .update(readFileSync(source))
      .update(readFileSync(join(dirname(here), 'worker-protocol.ts')))
      .digest('hex')
      .slice(0, 16);
    const target = join(tmpdir(), `local-lambda-worker-${hash}.cjs`);
    if (existsSync(target)) return target;
    const { build } = await import('esbuild');
    const temporary = `${target}.${process.pid}.tmp`;
    await build({
      entryPoints: [source],
      outfile: temporary,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
    });
    renameSync(temporary, target);
    return target;
  })();
  return compiledWorker;
}
