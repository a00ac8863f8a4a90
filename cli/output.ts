/**
 * How every command talks to its user: progress on stderr while long work runs (one rewritten line on a
 * terminal, a line every few seconds otherwise, so CI logs stay readable), and a plain summary on stdout
 * at the end.
 */

export interface Progress {
  /** Reports `done` of `total` (total may be unknown) with an optional note. */
  update(done: number, total?: number, note?: string): void;
  /** Ends the progress line. */
  finish(note?: string): void;
}

export interface Output {
  /** A line of the result, on stdout. */
  line(text?: string): void;
  /** A warning or note, on stderr. */
  note(text: string): void;
  progress(label: string): Progress;
  /** Prints rows as aligned columns, with the header underlined. */
  table(header: string[], rows: (string | number)[][]): void;
}

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  now?: () => number;
}

/** Lines at most this often on a stream that is not a terminal. */
const PLAIN_PROGRESS_INTERVAL_MS = 2_000;

export function createOutput(
  streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr },
): Output {
  const now = streams.now ?? Date.now;
  return {
    line: (text = '') => void streams.stdout.write(`${text}\n`),
    note: (text) => void streams.stderr.write(`${text}\n`),
    table: (header, rows) => void streams.stdout.write(formatTable(header, rows)),
    progress: (label) => {
      const interactive = Boolean(streams.stderr.isTTY);
      const started = now();
      let lastPlain = Number.NEGATIVE_INFINITY;
      let last = '';
      const render = (done: number, total?: number, note?: string) => {
        const seconds = ((now() - started) / 1000).toFixed(1);
        const share = total ? ` (${Math.floor((done / Math.max(1, total)) * 100)}%)` : '';
        return `${label}: ${done}${total === undefined ? '' : `/${total}`}${share}, ${seconds} s${note ? `, ${note}` : ''}`;
      };
      return {
        update(done, total, note) {
          last = render(done, total, note);
          if (interactive) streams.stderr.write(`\r\x1b[2K${last}`);
          else if (now() - lastPlain >= PLAIN_PROGRESS_INTERVAL_MS) {
            lastPlain = now();
            streams.stderr.write(`${last}\n`);
          }
        },
        finish(note) {
          const text = note ? `${label}: ${note}` : last;
          if (interactive) streams.stderr.write(`\r\x1b[2K${text}\n`);
          else if (text) streams.stderr.write(`${text}\n`);
        },
      };
    },
  };
}

/** Aligned columns; numbers right-aligned. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  // A fold, not Math.max(...lengths): a table of 130,000 rows would overflow the call stack.
  const widths = header.map((_, column) =>
    cells.reduce((width, row) => Math.max(width, (row[column] ?? '').length), 0),
  );
  const numeric = header.map(
    (_, column) => rows.length > 0 && rows.every((row) => typeof row[column] === 'number'),
  );
  const format = (row: string[]) =>
    row
      .map((cell, column) =>
        numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const lines = [
    format(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.slice(1).map(format),
  ];
  return `${lines.join('\n')}\n`;
}
