/**
 * DynamoDB Local (Maven Central), with its tables on disk (`-dbPath`), so a restart after a crash finds
 * the rollups, keys and connections where they were, and its sqlite4java native library.
 *
 * `-sharedDb`: without it DynamoDB Local keeps one database per access key and region, so a function
 * whose credentials differ by a character from the provisioner's would see no tables.
 * DynamoDB Local has no bind-address option; it listens on every interface.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoDb } from './local-clients.js';
import { assertPortFree } from './ports.js';
import { spawnService } from './process.js';
import type { ServiceHandle, ServiceOptions } from './service-handle.js';
import { javaBinary, VENDOR_PATHS } from './vendor.js';

export interface DynamoDbLocalOptions extends ServiceOptions {
  /** Keep the tables in memory instead of on disk (benchmarks: faster, gone on exit). */
  inMemory?: boolean;
  /** Maximum JVM heap; default 512 MB (a benchmark loading millions of items wants more). */
  maxHeapMb?: number;
}

/** Starts DynamoDB Local on `port` and resolves once `ListTables` answers. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<ServiceHandle> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree('DynamoDB Local', options.port, host);
  const dbDir = join(options.dataDir, 'db');
  if (!options.keepData) await rm(dbDir, { recursive: true, force: true });
  await mkdir(dbDir, { recursive: true });
  const url = `http://${host}:${options.port}`;
  const client = localDynamoDb(url);
  try {
    return await spawnService({
      name: 'dynamodb',
      url,
      command: javaBinary(),
      args: [
        '-Xms64m',
        `-Xmx${options.maxHeapMb ?? 512}m`,
        `-Djava.library.path=${VENDOR_PATHS.dynamodbNative}`,
        `-Dsqlite4java.library.path=${VENDOR_PATHS.dynamodbNative}`,
        '-cp',
        `${VENDOR_PATHS.dynamodbLib}/*`,
        'com.amazonaws.services.dynamodbv2.local.main.ServerRunner',
        ...(options.inMemory ? ['-inMemory'] : ['-dbPath', dbDir]),
        '-sharedDb',
        '-disableTelemetry',
        '-port',
        String(options.port),
      ],
      // DynamoDB Local writes a metadata file into its working directory.
      cwd: options.dataDir,
      logFile: options.logFile ?? join(options.dataDir, 'dynamodb.log'),
      ...(options.signal ? { signal: options.signal } : {}),
      startTimeoutMs: options.startTimeoutMs ?? 60_000,
      healthCheck: async (abortSignal) => {
        await client.send(new ListTablesCommand({}), { abortSignal });
        return true;
      },
    });
  } finally {
    client.destroy();
  }
}
