/**
 * One Lambda execution environment: a child process forked by `function-host.ts` that loads one
 * function bundle (the init phase) and runs its handler for each `invoke` message, one at a time.
 * The host enforces the timeout by killing this process, so nothing here guards against a hung handler.
 *
 * Node built-ins only: the host compiles this file once with esbuild and forks the result.
 */
import { createRequire } from 'node:module';
import {
  type InvokeMessage,
  MAX_INVOCATION_PAYLOAD_BYTES,
  type ResultMessage,
  type WorkerConfig,
} from './worker-protocol.js';

type Handler = (
  event: unknown,
  context: unknown,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown;

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;

// Exit with the host: 'disconnect' fires when the IPC channel closes (host exited or killed); the
// ppid poll catches a host that died without closing it.
const parentPid = process.ppid;
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal signals the whole foreground group; the host, not the terminal, ends this process.
process.on('SIGINT', () => undefined);
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(0);
}, 1000).unref();

// Init phase, as Lambda runs it before the first invocation. Its error is reported on the first invoke.
let handler: Handler | undefined;
let initError: { errorType: string; errorMessage: string } | undefined;
try {
  const loaded = createRequire(config.bundleFile)(config.bundleFile) as Record<string, unknown>;
  const candidate = loaded[config.handlerName];
  if (typeof candidate === 'function') {
    handler = candidate as Handler;
  } else {
    initError = {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `index.${config.handlerName} is undefined or not exported`,
    };
  }
} catch (error) {
  const code = (error as { code?: unknown }).code;
  initError =
    code === 'MODULE_NOT_FOUND'
      ? { errorType: 'Runtime.ImportModuleError', errorMessage: describe(error).errorMessage }
      : describe(error);
  console.error(`INIT_ERROR\t${JSON.stringify(initError)}`);
}

process.on('message', (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  void invoke(message);
});

async function invoke(message: InvokeMessage): Promise<void> {
  if (initError || !handler) {
    const error = initError ?? { errorType: 'Runtime.HandlerNotFound', errorMessage: 'no handler' };
    // Lambda discards an environment whose init failed and initializes a fresh one next time.
    send({ type: 'result', requestId: message.requestId, ok: false, ...error, fatal: true }, () =>
      process.exit(1),
    );
    return;
  }
  const context = createContext(message);
  let result: ResultMessage;
  try {
    const value = await runHandler(handler, message.event, context);
    const payloadJson = JSON.stringify(value ?? null);
    if (Buffer.byteLength(payloadJson) > MAX_INVOCATION_PAYLOAD_BYTES) {
      result = failure(message.requestId, {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_INVOCATION_PAYLOAD_BYTES} bytes).`,
      });
    } else {
      result = { type: 'result', requestId: message.requestId, ok: true, payloadJson };
    }
  } catch (error) {
    const described = describe(error);
    // Lambda's Node runtime logs the error of a failed invocation the same way.
    console.error(
      `${new Date().toISOString()}\t${message.requestId}\tERROR\tInvoke Error \t${JSON.stringify({
        ...described,
        stack: error instanceof Error ? error.stack?.split('\n') : undefined,
      })}`,
    );
    result = failure(message.requestId, described);
  }
  send(result);
}

function createContext(message: InvokeMessage) {
  let callbackWaitsForEmptyEventLoop = true;
  return {
    awsRequestId: message.requestId,
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: config.invokedFunctionArn,
    memoryLimitInMB: String(config.memoryLimitInMB),
    logGroupName: config.logGroupName,
    logStreamName: config.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
    get callbackWaitsForEmptyEventLoop() {
      return callbackWaitsForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value: boolean) {
      callbackWaitsForEmptyEventLoop = value;
    },
  };
}

/**
 * Calls an async handler or a callback-style one (three parameters), as the Node.js runtime does. The
 * first of promise settlement and callback wins. A sync handler with fewer than three parameters
 * answers `null`, like Lambda, whatever it returned.
 */
function runHandler(fn: Handler, event: unknown, context: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error?: unknown, value?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(value);
    };
    try {
      const returned = fn(event, context, callback);
      if (
        returned !== null &&
        typeof returned === 'object' &&
        typeof (returned as Promise<unknown>).then === 'function'
      ) {
        (returned as Promise<unknown>).then(
          (value) => callback(null, value),
          (error: unknown) => callback(error ?? new Error('Promise rejected without a reason')),
        );
      } else if (fn.length < 3) {
        callback(null, null);
      }
    } catch (error) {
      // `throw undefined` is a failure too; the callback would read an absent error as success.
      if (settled) return;
      settled = true;
      reject(error);
    }
  });
}

function describe(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: error.name || 'Error', errorMessage: error.message };
  return { errorType: typeof error, errorMessage: String(error) };
}

function failure(requestId: string, error: { errorType: string; errorMessage: string }): ResultMessage {
  return { type: 'result', requestId, ok: false, ...error, fatal: false };
}

function send(message: ResultMessage, then?: () => void): void {
  process.send?.(message, undefined, {}, () => then?.());
}
