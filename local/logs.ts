/**
 * Log files of the local stack's own parts (each function, each gateway, each event source mapping):
 * one file per part under the logs folder, appended line by line, beside what goes to the console.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface LogFile {
  path: string;
  write(line: string): void;
  /** Flushes and closes the file; later writes are dropped. */
  close(): Promise<void>;
}

/** Opens `path` for appending (creating its folder). */
export function openLogFile(path: string): LogFile {
  mkdirSync(dirname(path), { recursive: true });
  let stream: WriteStream | undefined = createWriteStream(path, { flags: 'a' });
  // A full disk must not crash the stack; the console still has the line.
  stream.on('error', () => undefined);
  return {
    path,
    write(line) {
      stream?.write(`${line}\n`);
    },
    close() {
      const closing = stream;
      stream = undefined;
      return new Promise((resolve) => (closing ? closing.end(resolve) : resolve()));
    },
  };
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
