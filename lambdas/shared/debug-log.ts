/**
 * Stands in for `debug` in the function bundles, through `debug.cts` (an esbuild alias:
 * `BUNDLING.alias` in lib/topology.ts). Its callers there are six modules of opensearch-js, each
 * `require('debug')('opensearch')`; the package brings `ms`, `supports-color` and `has-flag` along
 * (~10 KB of each OpenSearch function's bundle), for colours and time diffs a Lambda log never shows.
 * This keeps the facility: a debugger writes to stderr only when the `DEBUG` environment variable
 * (read once, when the bundle loads, as `debug` reads it) enables its namespace, in the format `debug`
 * writes when stderr is not a terminal, as in Lambda: `<ISO time> <namespace> <message>`.
 */
import { formatWithOptions } from 'node:util';

/** A namespace's log function, as `debug` returns it. */
export interface Debugger {
  (...args: unknown[]): void;
  readonly namespace: string;
  /** Whether the patterns enabled when it is read let this namespace write. */
  readonly enabled: boolean;
}

/** `createDebug(namespace)`, with the two functions of `debug` that set and test the patterns. */
export interface CreateDebug {
  (namespace: string): Debugger;
  /** Replaces the patterns, as `DEBUG` would give them: `a:*,b -a:noisy`. */
  enable(namespaces: string | undefined): void;
  /** Whether the current patterns enable `namespace`: no exclusion matches it and a pattern does. */
  enabled(namespace: string): boolean;
}

interface Patterns {
  names: RegExp[];
  skips: RegExp[];
}

/**
 * Patterns are separated by commas or whitespace; `-` before one excludes what it matches; `*` matches
 * any run of characters (none included), every other character only itself.
 */
function parsePatterns(namespaces: string | undefined): Patterns {
  const patterns: Patterns = { names: [], skips: [] };
  for (const pattern of (namespaces ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (pattern.startsWith('-')) patterns.skips.push(toRegExp(pattern.slice(1)));
    else patterns.names.push(toRegExp(pattern));
  }
  return patterns;
}

function toRegExp(template: string): RegExp {
  const literals = template.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literals.join('[\\s\\S]*')}$`);
}

let patterns = parsePatterns(process.env.DEBUG);

function enabled(namespace: string): boolean {
  const matches = (pattern: RegExp) => pattern.test(namespace);
  return !patterns.skips.some(matches) && patterns.names.some(matches);
}

function debuggerFor(namespace: string): Debugger {
  const log = (...args: unknown[]) => {
    if (!enabled(namespace)) return;
    process.stderr.write(`${new Date().toISOString()} ${namespace} ${formatWithOptions({}, ...args)}\n`);
  };
  return Object.defineProperties(log, {
    namespace: { value: namespace, enumerable: true },
    enabled: { get: () => enabled(namespace), enumerable: true },
  }) as Debugger;
}

export const createDebug: CreateDebug = Object.assign(debuggerFor, {
  enable: (namespaces: string | undefined) => {
    patterns = parsePatterns(namespaces);
  },
  enabled,
});
