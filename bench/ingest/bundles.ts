/**
 * Every function's bundle, built as the stack builds it (`local/runtime/bundle.ts`, the CDK's esbuild
 * options), its size, and its cold module load: a fresh `node` process that requires it with the
 * function's environment (config is validated at load), against the same process requiring an empty
 * module, interleaved, median of `rounds`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY_FUNCTIONS, FUNCTIONS, type FunctionDefinition, type FunctionId } from '../../lib/topology.js';
import { type LocalResourceEndpoints, localFunctionEnvironment } from '../../local/function-environment.js';
import { bundleFunctions } from '../../local/runtime/bundle.js';
import { median } from '../shared/rounds.js';

export interface BundleRow {
  id: string;
  bytes: number;
  loadMs: number;
  aboveEmptyMs: number;
}

/** Placeholder endpoints: nothing is called while a module loads. */
export const PLACEHOLDER_RESOURCES: LocalResourceEndpoints = {
  region: 'us-east-1',
  kinesisUrl: 'http://127.0.0.1:9',
  dynamodbUrl: 'http://127.0.0.1:9',
  sqsUrl: 'http://127.0.0.1:9',
  opensearchUrl: 'http://127.0.0.1:9',
  streamName: 'events',
  tableNames: {
    apiKeys: 'keys',
    accounts: 'accounts',
    rollups: 'rollups',
    connections: 'connections',
    liveTokens: 'live-tokens',
    admission: 'admission',
  },
  cursorSigningKey: 'placeholder-cursor-signing-key-of-32-characters',
  deadLetterQueueUrl: 'http://127.0.0.1:9/queue/dlq',
  websocketManagementEndpoint: 'http://127.0.0.1:9',
};

/** The time to require `file` in a new process, measured inside it (process start-up excluded). */
function loadMs(file: string, env: Record<string, string>): number {
  const script = `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t))`;
  return Number(
    execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env } }),
  );
}

export async function measureBundles(
  dir: string,
  rounds: number,
): Promise<{ files: Record<string, string>; rows: BundleRow[]; emptyMs: number }> {
  const definitions = [
    ...Object.values(FUNCTIONS),
    ...Object.values(DEPLOY_FUNCTIONS),
  ] as FunctionDefinition[];
  const bundles = await bundleFunctions(definitions, dir);
  const empty = join(dir, 'empty.cjs');
  writeFileSync(empty, '');
  const samples: Record<string, number[]> = { empty: [] };
  for (let round = 0; round < rounds; round += 1) {
    samples.empty?.push(loadMs(empty, {}));
    for (const definition of definitions) {
      const id = definition.id as FunctionId;
      // The deploy-time installer needs what the indexer has: OpenSearch's endpoint and index prefix.
      const env = localFunctionEnvironment(id in FUNCTIONS ? id : 'indexer', PLACEHOLDER_RESOURCES);
      samples[id] = [...(samples[id] ?? []), loadMs(bundles[id].file, env)];
    }
  }
  const emptyMs = median(samples.empty ?? []);
  const rows = definitions.map((definition) => {
    const id = definition.id as FunctionId;
    const ms = median(samples[id] ?? []);
    return { id, bytes: bundles[id].bytes, loadMs: ms, aboveEmptyMs: ms - emptyMs };
  });
  const files = Object.fromEntries(
    definitions.map((definition) => [definition.id, bundles[definition.id as FunctionId].file]),
  );
  return { files, rows, emptyMs };
}
