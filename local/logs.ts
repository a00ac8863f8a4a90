/**
 * Log files of the local stack's own parts (each function, each gateway, each event source mapping):
 * one file per part under the logs folder, appended line by line, beside what goes to the console.
 *
 * A file is bounded: past `maxBytes` it becomes `<file>.1` (replacing the previous one) and a new file
 * starts. A stack left running for days logs a line per request in some files (every refused key in
 * the gateway's, every invocation's metrics in a function's), so an unbounded file fills the disk.
 */
import { createWriteStream, mkdirSync, openSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** Bytes a log file grows to before it is rotated: a part's logs take at most twice this on disk. */
export const MAX_LOG_FILE_BYTES = 20 * 1024 * 1024;

export interface LogFile {
  path: string;
  write(line: string): void;
  /** Flushes and closes the file; later writes are dropped. */
  close(): Promise<void>;
}

/** Opens `path` for appending (creating its folder), rotated to `<path>.1` past `maxBytes`. */
export function openLogFile(path: string, maxBytes = MAX_LOG_FILE_BYTES): LogFile {
  mkdirSync(dirname(path), { recursive: true });
  let written = sizeOf(path);
  let stream: WriteStream | undefined = open(path);
  const rotate = (current: WriteStream) => {
    // The old stream keeps its descriptor, so what it still buffers lands in the renamed file.
    try {
      renameSync(path, `${path}.1`);
    } catch {
      // Tried again after another `maxBytes`, not at every line.
      written = 0;
      return;
    }
    current.end();
    written = 0;
    try {
      stream = open(path);
    } catch {
      // No new file (a full disk, say): the console still has the lines.
      stream = undefined;
    }
  };
  return {
    path,
    write(line) {
      const text = `${line}\n`;
      const bytes = Buffer.byteLength(text);
      if (stream && written > 0 && written + bytes > maxBytes) rotate(stream);
      stream?.write(text);
      written += bytes;
    },
    close() {
      const closing = stream;
      stream = undefined;
      return new Promise((resolve) => (closing ? closing.end(resolve) : resolve()));
    },
  };
}

/** Opened at once, not on the next tick, so the file is there to rename in the same burst of lines. */
function open(path: string): WriteStream {
  const stream = createWriteStream(path, { fd: openSync(path, 'a') });
  // A full disk must not crash the stack; the console still has the line.
  stream.on('error', () => undefined);
  return stream;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A line logger that writes to `file` and passes the line, prefixed, to `console`. */
export function teeLog(
  file: LogFile,
  prefix: string,
  console?: (line: string) => void,
): (line: string) => void {
  return (line) => {
    file.write(`${new Date().toISOString()} ${line}`);
    console?.(`${prefix} ${line}`);
  };
}
