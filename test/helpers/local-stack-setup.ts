/**
 * Global setup of the `stack` test project: starts ONE real local stack (OpenSearch, DynamoDB Local,
 * kinesalite, ElasticMQ, the bundled functions, gateways and mappings) on free ports, shares its
 * endpoints with the test files, and stops it afterwards. If any server cannot start, setup throws and
 * the run fails: these tests never skip for want of a server.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { newDevAccount } from '../../local/accounts.js';
import { LOCAL_DIR } from '../../local/local-aws.js';
import { type LocalEndpoints, type LocalStack, startLocalStack } from '../../local/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    localStack: LocalEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startTestStack();
  project.provide('localStack', stack.endpoints);
  return async () => {
    await stack.stop();
  };
}

/** Starts a local stack on free ports, with its data and logs under `.local/test-stack-<pid>`. */
export async function startTestStack(): Promise<LocalStack> {
  const dataDir = join(LOCAL_DIR, `test-stack-${process.pid}`);
  await removeFinishedRuns(LOCAL_DIR);
  const started = performance.now();
  const stack = await startLocalStack({
    dataDir,
    ports: 'random',
    account: newDevAccount('acct_test'),
    progress: (line) => console.log(`[local-stack] ${line}`),
    functionLog: process.env.LOCAL_STACK_VERBOSE ? (line) => console.log(line) : undefined,
  });
  console.log(
    `[local-stack] ready in ${((performance.now() - started) / 1000).toFixed(1)} s; logs in ${join(dataDir, 'logs')}`,
  );
  return stack;
}

/**
 * Each run keeps its data and logs (for reading after a failure) until the next run, which removes
 * those of runs that are no longer alive.
 */
async function removeFinishedRuns(localDir: string): Promise<void> {
  const entries = await readdir(localDir).catch(() => [] as string[]);
  for (const entry of entries) {
    const pid = Number(entry.match(/^test-stack-(\d+)$/)?.[1]);
    if (!pid || isAlive(pid)) continue;
    await rm(join(localDir, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
