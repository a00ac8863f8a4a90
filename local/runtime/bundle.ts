/**
 * Bundles the functions for the local stack with the esbuild options the CDK stacks use
 * (`BUNDLING` in `lib/topology.ts`), so the local execution environments run the code Lambda runs:
 * one minified CommonJS file per function, with its source map.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING, type FunctionDefinition, type FunctionId, REPO_ROOT } from '../../lib/topology.js';

export interface BundledFunction {
  /** Absolute path of `<outDir>/<id>/index.cjs`. */
  file: string;
  bytes: number;
}

/**
 * Builds every definition in parallel into `<outDir>/<id>/index.cjs` (+ `.map`). The `.cjs` extension
 * matters: the repository's package.json says `"type": "module"`, so a `.js` file would load as ESM.
 * The handler stays exported under `definition.handler`, which the function worker looks up.
 * Rejects with every failing function's esbuild errors.
 */
export async function bundleFunctions(
  defs: FunctionDefinition[],
  outDir: string,
  options: { repoRoot?: string } = {},
): Promise<Record<FunctionId, BundledFunction>> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const results = await Promise.allSettled(
    defs.map(async (definition) => {
      const file = resolve(outDir, definition.id, 'index.cjs');
      await mkdir(join(outDir, definition.id), { recursive: true });
      await build({
        entryPoints: [resolve(repoRoot, definition.entry)],
        outfile: file,
        absWorkingDir: repoRoot,
        bundle: true,
        platform: 'node',
        format: BUNDLING.format,
        target: BUNDLING.target,
        minify: BUNDLING.minify,
        sourcemap: BUNDLING.sourceMap,
        external: [...BUNDLING.externalModules],
        mainFields: [...BUNDLING.mainFields],
        alias: BUNDLING.alias,
        logLevel: 'silent',
      });
      return [definition.id, { file, bytes: (await stat(file)).size }] as const;
    }),
  );
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${defs[index]?.id}: ${describe(result.reason)}`] : [],
  );
  if (failures.length > 0) throw new Error(`Bundling failed:\n${failures.join('\n')}`);
  return Object.fromEntries(
    results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])),
  ) as Record<FunctionId, BundledFunction>;
}

function describe(error: unknown): string {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] })
    .errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors
      .map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
      .join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
