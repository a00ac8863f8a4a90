/**
 * Runs one bundled function the way Lambda runs it: each invocation in an execution environment of its
 * own OS process, several environments side by side under load (up to the function's concurrency
 * limit), warm ones reused. A crash or a timeout costs only the environment it happened in; the next
 * invocation that needs one gets a fresh one (a cold start), as on Lambda.
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { FunctionDefinition, FunctionId } from '../../lib/topology.js';
import { LOCAL_REGION, localArn } from '../local-aws.js';
import { openLogFile } from '../logs.js';
import { EnvironmentPool } from './environment-pool.js';
import type { EnvironmentState } from './environment-state.js';
import { ExecutionEnvironment, lambdaProcessEnvironment, type Settled } from './execution-environment.js';
import { workerScript } from './worker-script.js';

/**
 * Environments per function when it sets no reserved concurrency: enough that a few concurrent clients
 * are served concurrently, few enough for a 2-core development machine.
 */
export const LOCAL_FUNCTION_CONCURRENCY = 4;

/** What an invocation produced, as the Invoke API reports it (`FunctionError` set or not). */
export type InvocationResult =
  | { status: 'ok'; payload: unknown; durationMs: number }
  | { status: 'error'; errorType: string; errorMessage: string; durationMs: number };

/** A running local function: what the gateways and event source mappings invoke. */
export interface LocalFunction {
  id: FunctionId;
  /**
   * Invokes synchronously (RequestResponse); waits for an environment when all are busy at the limit,
   * unless `signal` aborts first (the caller gave up): then it answers `Local.InvocationAbandoned`
   * without running. An invocation that has started runs to its end, as on Lambda.
   */
  invoke(event: unknown, signal?: AbortSignal): Promise<InvocationResult>;
  /** Kills every execution environment; no process is left behind. */
  stop(): Promise<void>;
}

/** One execution environment, as the control API and tests see it. */
export interface EnvironmentInfo {
  pid: number | undefined;
  state: EnvironmentState;
  invocations: number;
  signal(signal: NodeJS.Signals): void;
}

/** A function started by `startFunction`: a `LocalFunction` whose environments can be looked at. */
export interface FunctionHost extends LocalFunction {
  environments(): EnvironmentInfo[];
  /** Invocations waiting for an environment right now. */
  queued(): number;
}

export interface StartFunctionOptions {
  definition: FunctionDefinition;
  /** The CommonJS bundle from `bundleFunctions`. */
  bundleFile: string;
  /** The function's configured environment (resource names, endpoints, credentials for emulators). */
  env: Record<string, string>;
  /** Receives every line the function writes, prefixed with the function id. */
  log: (line: string) => void;
  /** Also writes every line, unprefixed, to this file (the function's own log, like its log group). */
  logFile?: string;
  /** `AWS_REGION` of the environment unless `env` sets it; default `LOCAL_REGION`. */
  region?: string;
  /** Most execution environments at once; default `LOCAL_FUNCTION_CONCURRENCY`. */
  concurrency?: number;
}

/**
 * Starts the function's first execution environment (its init phase runs right away, so a broken bundle
 * shows at start-up) and returns a handle that invokes it.
 */
export async function startFunction(options: StartFunctionOptions): Promise<FunctionHost> {
  const workerFile = await workerScript();
  const { definition } = options;
  const region = options.env.AWS_REGION ?? options.region ?? LOCAL_REGION;
  const file = options.logFile ? openLogFile(options.logFile) : undefined;
  const log = (line: string) => {
    file?.write(line);
    options.log(`[${definition.id}] ${line}`);
  };
  const logGroupName = `/aws/lambda/${definition.id}`;
  let stopped = false;

  const pool: EnvironmentPool<ExecutionEnvironment> = new EnvironmentPool(
    options.concurrency ?? LOCAL_FUNCTION_CONCURRENCY,
    () => {
      const config = {
        bundleFile: options.bundleFile,
        handlerName: definition.handler,
        functionName: definition.id,
        memoryLimitInMB: definition.memorySizeMb,
        invokedFunctionArn: localArn('lambda', region, `function:${definition.id}`),
        logGroupName,
        // Each environment writes its own log stream, as on Lambda.
        logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
      };
      return new ExecutionEnvironment({
        definition,
        workerFile,
        config,
        env: lambdaProcessEnvironment(definition, options.env, {
          ...config,
          region,
          taskRoot: dirname(options.bundleFile),
        }),
        log,
        onRetired: (environment, reason) => {
          pool.retire(environment);
          if (!stopped && reason !== 'timed out' && !reason.startsWith('init failed')) {
            log(
              `execution environment ${environment.pid} ${reason}; the next invocation that needs one starts cold`,
            );
          }
        },
      });
    },
  );
  pool.prewarm();

  const invoke = async (event: unknown, signal?: AbortSignal): Promise<InvocationResult> => {
    const started = performance.now();
    const finish = (result: Settled): InvocationResult =>
      ({ ...result, durationMs: Math.round(performance.now() - started) }) as InvocationResult;
    const stoppedResult = () =>
      finish({
        status: 'error',
        errorType: 'Local.FunctionStopped',
        errorMessage: `${definition.id} is stopped`,
      });
    if (stopped) return stoppedResult();
    let environment: ExecutionEnvironment;
    try {
      environment = await pool.acquire(signal);
      // An environment that died while idle is retired by its exit handler; never invoke one.
      while (environment.state !== 'idle') {
        pool.retire(environment);
        environment = await pool.acquire(signal);
      }
    } catch {
      if (stopped || !signal?.aborted) return stoppedResult();
      return finish({
        status: 'error',
        errorType: 'Local.InvocationAbandoned',
        errorMessage: `the caller gave up while the invocation waited for an execution environment of ${definition.id}`,
      });
    }
    const result = await environment.invoke(event);
    pool.release(environment, environment.state === 'idle');
    return finish(result);
  };

  return {
    id: definition.id,
    invoke,
    environments: () =>
      pool.environments().map((environment) => ({
        pid: environment.pid,
        state: environment.state,
        invocations: environment.invocations,
        signal: (signal: NodeJS.Signals) => environment.signal(signal),
      })),
    queued: () => pool.queued,
    async stop() {
      stopped = true;
      const environments = pool.drain(new Error(`${definition.id} is stopped`));
      await Promise.all(environments.map((environment) => environment.stop()));
      await file?.close();
    },
  };
}
