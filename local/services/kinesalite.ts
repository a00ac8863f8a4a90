/**
 * kinesalite (npm), the Kinesis emulator, in a Node process of its own (one process per server, like
 * the Java emulators), in memory, bound to `host`.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { localKinesis } from './local-clients.js';
import { assertPortFree, type ServiceHandle, type ServiceOptions, spawnService } from './process.js';

const require = createRequire(import.meta.url);

/**
 * Starts kinesalite on `port` and resolves once `ListStreams` answers. Streams become ACTIVE at once
 * (no simulated CREATING delay) and the shard limit is raised, so provisioning and tests are not slowed.
 */
export async function startKinesalite(options: ServiceOptions): Promise<ServiceHandle> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree('kinesalite', options.port, host);
  await mkdir(options.dataDir, { recursive: true });
  // kinesalite's CLI always listens on every interface; its module lets us bind to `host` only.
  const program = `
    const server = require(${JSON.stringify(require.resolve('kinesalite'))})({
      createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100,
    });
    server.listen(${options.port}, ${JSON.stringify(host)}, () => {
      console.log('kinesalite listening on http://${host}:${options.port}');
    });
  `;
  const url = `http://${host}:${options.port}`;
  const client = localKinesis(url);
  try {
    return await spawnService({
      name: 'kinesis',
      url,
      command: process.execPath,
      args: ['-e', program],
      cwd: options.dataDir,
      logFile: options.logFile ?? join(options.dataDir, 'kinesalite.log'),
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      // Node's default SIGTERM handling ends it at once: its only state is in memory.
      stopGraceMs: 3_000,
      healthCheck: async (abortSignal) => {
        await client.send(new ListStreamsCommand({}), { abortSignal });
        return true;
      },
    });
  } finally {
    client.destroy();
  }
}
