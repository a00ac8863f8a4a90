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
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HouseFunction, REPO_ROOT } from '../../lib/constructs/house-function.js';
import {
  type AnyFunctionDefinition,
  BUNDLE_LIMIT_BYTES,
  BUNDLING,
  DEPLOY_FUNCTIONS,
  FUNCTIONS,
  type FunctionDefinition,
} from '../../lib/topology.js';
import { bundleFunctions } from '../../local/runtime/bundle.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

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

describe('the function bundles', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bundle-check-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('each weigh at most the budget, built as the stack builds them', async () => {
    // Act
    const bundles = await bundleFunctions(ALL_FUNCTIONS as FunctionDefinition[], dir);

    // Assess
    const over = Object.entries(bundles).filter(([, bundle]) => bundle.bytes > BUNDLE_LIMIT_BYTES);
    expect(over.map(([id, bundle]) => `${id}: ${bundle.bytes} bytes`)).toEqual([]);
  });

  it('load the stand-ins in place of debug, ms and aws4, in the shape opensearch-js requires them', async () => {
    // Prepare: what opensearch-js requires of each, bundled with the house aliases.
    const result = await build({
      stdin: {
        contents: "module.exports = { debug: require('debug'), ms: require('ms'), aws4: require('aws4') };",
        resolveDir: REPO_ROOT,
      },
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: BUNDLING.format,
      target: BUNDLING.target,
      alias: BUNDLING.alias,
      logLevel: 'silent',
    });
    const file = path.join(dir, 'stand-ins.cjs');
    await writeFile(file, result.outputFiles[0]?.text ?? '');

    // Act
    const { debug, ms, aws4 } = createRequire(import.meta.url)(file);
    const signed = aws4.sign({ service: 'es', region: 'eu-west-1', hostname: 'h', path: '/' }, CREDENTIALS);

    // Assess
    expect(Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules'))).toEqual([]);
    expect([debug('opensearch').namespace, ms('30s')]).toEqual(['opensearch', 30_000]);
    expect(signed.headers.Authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
  });
});
