/**
 * `npm run pipeline -- <command> [options]`: the one entry of the project's command-line tools. Each
 * command works against the local stack (default) or a deployed stack (`--stack <name>`), shows progress
 * on long work and ends with a plain summary. `npm run pipeline -- help` lists the commands.
 */
import { type Command, NOT_RUNNING_HINT, UsageError } from './command.js';
import { accountsCommand } from './commands/accounts.js';
import { deadLettersCommand } from './commands/dead-letters.js';
import { keysCommand } from './commands/keys.js';
import { loadCommand } from './commands/load.js';
import { reconcileCommand } from './commands/reconcile.js';
import { statusCommand } from './commands/status.js';
import type { SignalTarget } from './interrupt.js';
import { createOutput, type Output } from './output.js';

/** Every command, in the order of the help index. */
export const COMMANDS: Command[] = [
  statusCommand,
  deadLettersCommand,
  loadCommand,
  reconcileCommand,
  accountsCommand,
  keysCommand,
];

function index(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: npm run pipeline -- <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'npm run pipeline -- <command> --help shows the options of a command.',
  ].join('\n');
}

/** Runs one command line; resolves with the exit code. */
export async function runCli(
  argv: string[],
  output: Output = createOutput(),
  signals?: SignalTarget,
): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    output.line(index());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    output.note(`unknown command "${name}"\n\n${index()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    output.line(`Usage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run({ args, output, ...(signals ? { signals } : {}) });
  } catch (error) {
    if (error instanceof UsageError) {
      output.note(`${error.message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    output.note(failureText(command.name, error));
    return 1;
  }
}

/** Socket errors that mean the servers are not there: a stopped local stack, a wrong endpoint. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT']);

/**
 * What a failed command prints, on one line and never a stack trace: its reason, and when the servers
 * did not answer, that the stack may not be running (an `.local/endpoints.json` left by a stack that was
 * killed outright stays until the next `npm start`).
 */
export function failureText(commandName: string, error: unknown): string {
  const reason = error instanceof Error ? error.message || error.name : String(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const hint = code !== undefined && UNREACHABLE.has(code) ? `: ${NOT_RUNNING_HINT}` : '';
  return `${commandName} failed: ${reason}${hint}`;
}

if (process.argv[1] && import.meta.url === new URL(process.argv[1], 'file://').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
