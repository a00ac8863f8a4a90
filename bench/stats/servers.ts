/**
 * The servers the benchmark starts for itself on free ports under a temporary folder, and stops:
 * DynamoDB Local (in memory, with room for a million dedupe markers) and a PostgreSQL cluster of its
 * own (Debian's `postgresql`; as root it runs as the `postgres` user, which initdb requires).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pg from 'pg';
import { TABLES } from '../../lib/topology.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws.js';
import { createTableInput } from '../../local/provision.js';
import { startDynamoDbLocal } from '../../local/services/dynamodb.js';
import { freePort } from '../../local/services/ports.js';
import { spawnService } from '../../local/services/process.js';
import type { RunAs } from '../../local/services/run-as.js';
import type { ServiceHandle } from '../../local/services/service-handle.js';

export const DYNAMO_CONFIG = {
  region: LOCAL_REGION,
  credentials: {
    accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
  },
  requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 60_000 }),
  maxAttempts: 5,
};

/** DynamoDB Local, in memory, with the rollups table created from the topology as the stack creates it. */
export async function startDynamoDb(dir: string): Promise<{ handle: ServiceHandle; client: DynamoDBClient }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const handle = await startDynamoDbLocal({
    port,
    dataDir: dir,
    inMemory: true,
    maxHeapMb: 3072,
    startTimeoutMs: 120_000,
  });
  const client = new DynamoDBClient({ ...DYNAMO_CONFIG, endpoint: handle.url });
  await client.send(new CreateTableCommand(createTableInput(TABLES.rollups.id, TABLES.rollups)));
  return { handle, client };
}

function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const [, , uid, gid] = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' })
    .trim()
    .split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function pgBinary(name: string): string {
  for (const candidate of [`/usr/lib/postgresql/15/bin/${name}`, `/usr/lib/postgresql/16/bin/${name}`]) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return name;
}

/** A fresh PostgreSQL cluster (trust auth on 127.0.0.1 only), and a connected client. */
export async function startPostgres(
  dir: string,
): Promise<{ handle: ServiceHandle; client: pg.Client; version: string }> {
  const data = join(dir, 'pgdata');
  mkdirSync(data, { recursive: true });
  const runAs = postgresUser();
  if (runAs) {
    chownSync(dir, runAs.uid, runAs.gid);
    chownSync(data, runAs.uid, runAs.gid);
  }
  const asUser = (command: string, args: string[]) =>
    runAs
      ? execFileSync('setpriv', [
          `--reuid=${runAs.uid}`,
          `--regid=${runAs.gid}`,
          '--clear-groups',
          '--',
          command,
          ...args,
        ])
      : execFileSync(command, args);
  asUser(pgBinary('initdb'), ['-D', data, '-A', 'trust', '-U', 'bench', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const connect = () => new pg.Client({ host: '127.0.0.1', port, user: 'bench', database: 'postgres' });
  const handle = await spawnService({
    name: 'postgres',
    url: `postgres://127.0.0.1:${port}`,
    command: pgBinary('postgres'),
    args: [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      // Durability is irrelevant to read latency and only slows the load.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'shared_buffers=256MB',
      '-c',
      'work_mem=64MB',
    ],
    cwd: dir,
    logFile: join(dir, 'postgres.log'),
    runAs,
    startTimeoutMs: 60_000,
    healthCheck: async () => {
      const probe = connect();
      try {
        await probe.connect();
        await probe.query('SELECT 1');
        return true;
      } finally {
        await probe.end().catch(() => undefined);
      }
    },
  });
  const client = connect();
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  return { handle, client, version: rows[0]?.server_version ?? 'unknown' };
}
