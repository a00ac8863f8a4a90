/**
 * kinesalite (npm), the Kinesis emulator, in a Node process of its own (one process per server, like
 * the Java emulators), bound to `host`, with its streams in a LevelDB folder (`path`), so a restart after
 * a crash finds every record and sequence number where it was.
 */
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { localKinesis } from './local-clients.js';
import { assertPortFree } from './ports.js';
import { spawnService } from './process.js';
import type { ServiceHandle, ServiceOptions } from './service-handle.js';

const require = createRequire(import.meta.url);

/**
 * Starts kinesalite on `port` and resolves once `ListStreams` answers. Streams become ACTIVE at once
 * (no simulated CREATING delay) and the shard limit is raised, so provisioning and tests are not slowed.
 */
export async function startKinesalite(options: ServiceOptions): Promise<ServiceHandle> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree('kinesalite', options.port, host);
  const dbDir = join(options.dataDir, 'db');
  if (!options.keepData) await rm(dbDir, { recursive: true, force: true });
  await mkdir(dbDir, { recursive: true });
  // kinesalite's CLI always listens on every interface; its module lets us bind to `host` only.
  const program = `
    const server = require(${JSON.stringify(require.resolve('kinesalite'))})({
      createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100,
      path: ${JSON.stringify(dbDir)},
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
      ...(options.signal ? { signal: options.signal } : {}),
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      // LevelDB has written every acknowledged record to its log by then; nothing to flush on SIGTERM.
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
