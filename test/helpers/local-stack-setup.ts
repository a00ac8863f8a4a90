/**
 * Global setup of the `stack` test project: starts ONE real local stack (OpenSearch, DynamoDB Local,
 * kinesalite, ElasticMQ, the bundled functions, gateways and mappings) on free ports, shares its
 * endpoints with the test files, and stops it afterwards. If any server cannot start, setup throws and
 * the run fails: these tests never skip for want of a server.
 */
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { newDevAccount } from '../../local/accounts.js';
import { LOCAL_DIR } from '../../local/local-aws.js';
import { removeFinishedRuns, runDir } from '../../local/run-dirs.js';
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
  // The functions log at INFO (`npm start`: WARN), so tests that read the logs (no key or token in
  // them) read what the functions really log.
  process.env.LOG_LEVEL ??= 'INFO';
  const dataDir = runDir(LOCAL_DIR, 'test-stack');
  await removeFinishedRuns(LOCAL_DIR, 'test-stack');
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
