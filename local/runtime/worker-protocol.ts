/**
 * Messages between the function host and its worker process over the IPC channel. Kept in one file so
 * both sides agree; payloads cross the channel as JSON, as they cross the Lambda Invoke API.
 */

/**
 * Lambda's synchronous invocation payload quota, both ways: no event is delivered over it (API Gateway
 * answers 413, a mapping makes smaller batches) and a bigger result fails the invocation.
 */
export const MAX_INVOCATION_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Host -> worker: run the handler once. */
export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  event: unknown;
  /** Epoch ms at which the host kills the worker; `getRemainingTimeInMillis()` counts down to it. */
  deadlineMs: number;
}

/** Host -> worker at fork time (JSON in argv[2]): what to load and how to describe itself in the context. */
export interface WorkerConfig {
  bundleFile: string;
  handlerName: string;
  functionName: string;
  memoryLimitInMB: number;
  invokedFunctionArn: string;
  logGroupName: string;
  logStreamName: string;
}

/** Worker -> host: the answer of one invocation. */
export type ResultMessage =
  /** `payloadJson` is the handler's result as the Invoke API would return it (`null` for undefined). */
  | { type: 'result'; requestId: string; ok: true; payloadJson: string }
  | {
      type: 'result';
      requestId: string;
      ok: false;
      errorType: string;
      errorMessage: string;
      /**
       * The worker is about to exit (an init error): Lambda re-initializes the execution environment on
       * the next invocation, so the host must not hand this worker another one.
       */
      fatal: boolean;
    };
