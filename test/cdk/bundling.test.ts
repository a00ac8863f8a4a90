/**
 * The real packaging path, cheaply: every topology entry exists, compiles with esbuild for the Lambda
 * target with the house options (`BUNDLING`, dependencies left out: tsc resolves them, and the full
 * bundle is built by `npm run synth` in CI and by the local stack), and is packaged by the house
 * construct as an asset with the handler the topology names. The construct is built in a bare stack
 * with bundling skipped, which still resolves the entry, the lock file and the project root as
 * `cdk synth` does; the function resources are read off the constructs, without synthesizing. The
 * other CDK tests use stub code instead.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { HouseFunction, REPO_ROOT } from '../../lib/constructs/house-function.js';
import { type AnyFunctionDefinition, BUNDLING, DEPLOY_FUNCTIONS, FUNCTIONS } from '../../lib/topology.js';

/** Every function the stack deploys: the event path's and the deployment-time ones. */
const ALL_FUNCTIONS: AnyFunctionDefinition[] = [
  ...Object.values(FUNCTIONS),
  ...Object.values(DEPLOY_FUNCTIONS),
];

describe('bundling from the topology entries', () => {
  it.each(ALL_FUNCTIONS.map((fn) => [fn.id, fn.entry] as const))('%s has its entry at %s', (_id, entry) => {
    expect(existsSync(path.join(REPO_ROOT, entry))).toBe(true);
  });

  it('compiles every entry with the house esbuild options, exporting the handler the topology names', async () => {
    const result = await build({
      entryPoints: Object.fromEntries(ALL_FUNCTIONS.map((fn) => [fn.id, path.join(REPO_ROOT, fn.entry)])),
      outdir: path.join(REPO_ROOT, '.local', 'bundling-check'),
      write: false,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: BUNDLING.format,
      target: BUNDLING.target,
      minify: BUNDLING.minify,
      sourcemap: BUNDLING.sourceMap,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    for (const fn of ALL_FUNCTIONS) {
      const output = result.outputFiles.find((file) => file.path.endsWith(`${path.sep}${fn.id}.js`));
      // esbuild's CommonJS output exports through `__export(module, { <name>: () => ... })`.
      expect(output?.text, fn.id).toMatch(new RegExp(`[{,]${fn.handler}:\\(\\)=>`));
    }
  });

  it('packages every function as an asset with the handler named in the topology', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Bundling');
    for (const definition of ALL_FUNCTIONS) {
      const fn = new HouseFunction<AnyFunctionDefinition>(stack, definition.id, {
        definition,
        logRetention: logs.RetentionDays.ONE_MONTH,
      });
      // Read off the construct rather than a synthesized template: synthesis adds seconds, not facts.
      const cfn = fn.function.node.defaultChild as lambda.CfnFunction;
      expect(cfn.handler, definition.id).toBe(`index.${definition.handler}`);
      expect(stack.resolve(cfn.code), definition.id).toEqual({
        s3Bucket: expect.anything(),
        s3Key: expect.stringMatching(/\.zip$/),
      });
    }
  });
});
