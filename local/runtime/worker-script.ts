/**
 * The function worker as a file Node can fork. Compiled JavaScript ships next to this module; from
 * TypeScript sources (tsx, vitest) it is compiled once with esbuild into the temp directory, keyed by its
 * content, so the execution environment does not load a TypeScript loader the real Lambda would not have.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let compiledWorker: Promise<string> | undefined;

/** Path of the worker script, compiled on first use. */
export function workerScript(): Promise<string> {
  compiledWorker ??= (async () => {
    const here = fileURLToPath(import.meta.url);
    const source = join(dirname(here), here.endsWith('.ts') ? 'function-worker.ts' : 'function-worker.js');
    if (!source.endsWith('.ts')) return source;
    const hash = createHash('sha256')
      .update(readFileSync(source))
      .update(readFileSync(join(dirname(here), 'worker-protocol.ts')))
      .digest('hex')
      .slice(0, 16);
    const target = join(tmpdir(), `local-lambda-worker-${hash}.cjs`);
    if (existsSync(target)) return target;
    const { build } = await import('esbuild');
    const temporary = `${target}.${process.pid}.tmp`;
    await build({
      entryPoints: [source],
      outfile: temporary,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
    });
    renameSync(temporary, target);
    return target;
  })();
  return compiledWorker;
}
