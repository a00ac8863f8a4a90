/**
 * What every server of the local stack is, whoever runs it: a handle with its URL and process, the
 * options every `start<Name>()` takes, and the errors of a failed start.
 */

/** How a server process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running emulator, as the stack's start script sees it. */
export interface ServiceHandle {
  /** Short name, also the log file's name: `opensearch`, `dynamodb`, `elasticmq`, `kinesis`. */
  name: string;
  /** Base URL clients use, e.g. `http://127.0.0.1:9200`. */
  url: string;
  /** Process id of the server (also its process group id). */
  pid: number;
  /** Resolves when the server process exits, whatever the reason (stop, crash, a signal). */
  exited: Promise<ExitStatus>;
  /** Sends `signal` to the server's process group: SIGSTOP pauses it, SIGCONT resumes it. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the process group, SIGKILL after a grace period; resolves once every process is gone. */
  stop(): Promise<void>;
}

/** What every `start<Name>()` takes. */
export interface ServiceOptions {
  /** TCP port the server listens on; see `freePort()` for tests. */
  port: number;
  /** Interface to bind where the server supports it, and the host of the returned URL. */
  host?: string;
  /** The server's own working directory (data, generated config); created if missing. */
  dataDir: string;
  /** Where stdout and stderr go; defaults to `<dataDir>/<name>.log`. */
  logFile?: string;
  /** How long to wait for the health check before giving up (ms). */
  startTimeoutMs?: number;
  /**
   * Start on the data a previous process left in `dataDir` (a restart after a crash). Off by default:
   * a fresh stack starts empty, so no indexed event or rollup outlives the stream it came from.
   */
  keepData?: boolean;
  /** Abandons the start: the server is stopped and the start rejects ("interrupted"). */
  signal?: AbortSignal;
}

/** Thrown when a server cannot start; the message carries the end of its log. */
export class ServiceStartError extends Error {
  override name = 'ServiceStartError';
}

/** Raised by a health probe that wants to stop the wait at once (e.g. a wrong server on the port). */
export class FatalProbeError extends Error {
  override name = 'FatalProbeError';
}
