/**
 * The shape of a command of `npm run pipeline -- <command>`: a name, a one-line summary for the index, its
 * own usage text, and a `run` that gets the parsed arguments and the output. A command that needs the
 * deployment calls `resolveTarget` with the common `--stack`/`--region` options.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { SignalTarget } from './interrupt.js';
import type { Output } from './output.js';
import type { TargetOptions } from './target.js';

export interface CommandContext {
  args: string[];
  output: Output;
  /** Where Ctrl-C and SIGTERM come from (the process; a fake in tests). */
  signals?: SignalTarget;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Resolves with the process exit code. */
  run(context: CommandContext): Promise<number>;
}

/** What a command says when the target's servers do not answer at all. */
export const NOT_RUNNING_HINT =
  'is the stack running? (`npm start` starts the local stack; --stack <name> names a deployed one)';

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Options every command that talks to a deployment accepts. */
export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  endpoints: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const TARGET_USAGE = `Target (default: the local stack of \`npm start\`):
  --stack <name>       a deployed stack (its CloudFormation outputs name the resources)
  --region <region>    the stack's region (default: AWS_REGION)
  --endpoints <file>   the local stack's endpoints file (default: .local/endpoints.json)`;

/**
 * Parses `args` strictly: an unknown option, a missing or empty value, or an option given twice that
 * takes one value is a UsageError. `parseArgs` keeps the last of a repeated option, so `--scope write --scope
 * read` would quietly create a read key; a command acts on what it was told, or on nothing.
 */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  const parsed = (() => {
    try {
      return parseArgs({ args, options, allowPositionals, strict: true, tokens: true });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  })();
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    // `--stack ""` would quietly be the local stack, `--account ""` list no account's keys.
    if (token.value === '') throw new UsageError(`--${token.name} needs a value; it got an empty one`);
    if (options[token.name]?.multiple) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once: give it once`);
    seen.add(token.name);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** The target options out of parsed values. */
export function targetOptions(values: {
  stack?: string;
  region?: string;
  endpoints?: string;
}): TargetOptions {
  return { stack: values.stack, region: values.region, endpointsFile: values.endpoints };
}
