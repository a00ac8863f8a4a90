/**
 * One Lambda execution environment: a forked worker process that loads the function bundle (the init
 * phase runs at once) and runs one invocation at a time, with the timeout enforced by killing the
 * process. Its state moves only through `nextEnvironmentState`; once retired it takes no invocation.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { FunctionDefinition } from '../../lib/topology.js';
import { type EnvironmentEvent, type EnvironmentState, nextEnvironmentState } from './environment-state.js';
import type { InvokeMessage, ResultMessage, WorkerConfig } from './worker-protocol.js';

/** An invocation's result before its duration is known. */
export type Settled =
  | { status: 'ok'; payload: unknown }
  | { status: 'error'; errorType: string; errorMessage: string };

export interface ExecutionEnvironmentOptions {
  definition: FunctionDefinition;
  /** The compiled worker (`workerScript()`). */
  workerFile: string;
  /** The worker's configuration, its log stream name included. */
  config: WorkerConfig;
  /** The process environment: the function's variables and Lambda's reserved ones. */
  env: Record<string, string>;
  /** Every line the function writes, and the runtime's own lines (timeouts, exits). */
  log: (line: string) => void;
  /** Called once when the environment retires, with why (for the host's pool and log). */
  onRetired: (environment: ExecutionEnvironment, reason: string) => void;
}

interface PendingInvocation {
  requestId: string;
  settle: (result: Settled) => void;
  timer: NodeJS.Timeout;
}

export class ExecutionEnvironment {
  #state: EnvironmentState = 'idle';
  #pending: PendingInvocation | undefined;
  #invocations = 0;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  constructor(private readonly options: ExecutionEnvironmentOptions) {
    this.#child = fork(options.workerFile, [JSON.stringify(options.config)], {
      env: options.env,
      execArgv: ['--enable-source-maps'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => options.log(line));
    }
    this.#child.on('message', (message: ResultMessage) => this.onResult(message));
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.onExit(signal ? `signal ${signal}` : `exit status ${code}`);
        resolve();
      });
    });
    // A failed fork (bad file, no memory) surfaces as 'error'; the exit handler settles the invocation.
    this.#child.on('error', (error) => options.log(`execution environment error: ${error.message}`));
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Invocations this environment has run: 1 on a cold start. */
  get invocations(): number {
    return this.#invocations;
  }

  /** Runs one invocation; the environment must be idle. */
  invoke(event: unknown): Promise<Settled> {
    this.transition('invoke');
    this.#invocations += 1;
    const { definition } = this.options;
    const requestId = randomUUID();
    const timeoutMs = definition.timeoutSeconds * 1000;
    return new Promise<Settled>((resolve) => {
      const timer = setTimeout(() => this.onTimeout(requestId), timeoutMs);
      this.#pending = { requestId, settle: resolve, timer };
      const message: InvokeMessage = { type: 'invoke', requestId, event, deadlineMs: Date.now() + timeoutMs };
      // An environment that lost its channel is exiting: its 'exit' event settles this invocation.
      if (!this.#child.connected) return;
      this.#child.send(message, (error) => {
        if (error && this.#pending?.requestId === requestId) this.#child.kill('SIGKILL');
      });
    });
  }

  /** Kills the process; resolves once it is gone. */
  async stop(): Promise<void> {
    if (this.#state !== 'retired') this.transition('stopped', 'stopped');
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** Sends a signal to the process (tests and the control API: SIGKILL to crash it). */
  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  private onResult(message: ResultMessage): void {
    const pending = this.#pending;
    if (message?.type !== 'result' || pending?.requestId !== message.requestId) return;
    // Stopped while its answer was on the way: the answer is dropped, the exit handler settles it.
    if (this.#state === 'retired') return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    if (message.ok) {
      this.transition('answered');
      pending.settle({ status: 'ok', payload: JSON.parse(message.payloadJson) });
      return;
    }
    // An init error: the worker exits, and Lambda re-initializes on the next invocation.
    if (message.fatal) this.transition('init-failed', `init failed: ${message.errorType}`);
    else this.transition('answered');
    pending.settle({ status: 'error', errorType: message.errorType, errorMessage: message.errorMessage });
  }

  private onTimeout(requestId: string): void {
    const pending = this.#pending;
    if (pending?.requestId !== requestId) return;
    this.#pending = undefined;
    const seconds = this.options.definition.timeoutSeconds.toFixed(2);
    this.options.log(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
    // Lambda stops the environment of a timed-out invocation; the next one starts cold.
    this.transition('timed-out', 'timed out');
    this.#child.kill('SIGKILL');
    pending.settle({
      status: 'error',
      errorType: 'Sandbox.Timedout',
      errorMessage: `Task timed out after ${seconds} seconds`,
    });
  }

  private onExit(status: string): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (this.#state !== 'retired') this.transition('exited', `exited (${status})`);
    if (!pending) return;
    clearTimeout(pending.timer);
    const errorMessage = `RequestId: ${pending.requestId} Error: Runtime exited with error: ${status}`;
    this.options.log(errorMessage);
    pending.settle({ status: 'error', errorType: 'Runtime.ExitError', errorMessage });
  }

  private transition(event: EnvironmentEvent, reason?: string): void {
    const before = this.#state;
    this.#state = nextEnvironmentState(before, event);
    if (this.#state === 'retired' && before !== 'retired') this.options.onRetired(this, reason ?? event);
  }
}

/**
 * The environment variables of an execution environment: a clean environment like Lambda's (PATH and
 * HOME only so tools behave), the function's own variables, then Lambda's reserved ones.
 */
export function lambdaProcessEnvironment(
  definition: FunctionDefinition,
  functionEnv: Record<string, string>,
  config: WorkerConfig & { region: string; taskRoot: string },
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TZ: ':UTC',
    ...functionEnv,
    AWS_LAMBDA_FUNCTION_NAME: definition.id,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySizeMb),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(definition.timeoutSeconds),
    AWS_LAMBDA_LOG_GROUP_NAME: config.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: config.logStreamName,
    AWS_REGION: config.region,
    AWS_DEFAULT_REGION: config.region,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: config.taskRoot,
    _HANDLER: `index.${definition.handler}`,
    NODE_OPTIONS: '--enable-source-maps',
  };
}
