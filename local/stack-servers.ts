/**
 * The local stack's four real servers, each started on its port and data folder and then supervised:
 * a server that dies is started again on the same port and data, and the stack's log says so. The
 * OpenSearch transport port is chosen once, so a restarted node is the same node.
 */
import { join } from 'node:path';
import { startDynamoDbLocal } from './services/dynamodb.js';
import { startElasticMq } from './services/elasticmq.js';
import { startKinesalite } from './services/kinesalite.js';
import { startOpenSearch } from './services/opensearch.js';
import { freePort } from './services/ports.js';
import { appendLogLine } from './services/process.js';
import type { ServiceHandle, ServiceOptions } from './services/service-handle.js';
import { type SupervisedService, superviseService } from './services/supervisor.js';

export type ServerName = 'opensearch' | 'dynamodb' | 'kinesis' | 'sqs';

export type LocalServers = Record<ServerName, SupervisedService>;

export interface ServerPorts {
  opensearch: number;
  dynamodb: number;
  kinesis: number;
  sqs: number;
}

export interface StartServersOptions {
  ports: ServerPorts;
  host: string;
  dataDir: string;
  logsDir: string;
  /** Supervision lines ("opensearch exited (signal SIGKILL); restarting (attempt 2)"). */
  log: (line: string) => void;
  /** Runs each first start (the stack times and reports them). */
  timed: <T>(label: string, step: () => Promise<T>) => Promise<T>;
  /** Abandons the first starts (Ctrl-C during start-up). */
  signal?: AbortSignal;
}

/** What each server is called in progress lines, and how it starts. */
const SERVERS: Record<
  ServerName,
  { label: string; logName: string; start: (o: ServiceOptions) => Promise<ServiceHandle> }
> = {
  opensearch: { label: 'OpenSearch', logName: 'opensearch', start: startOpenSearch },
  dynamodb: { label: 'DynamoDB Local', logName: 'dynamodb', start: startDynamoDbLocal },
  kinesis: { label: 'kinesalite', logName: 'kinesalite', start: startKinesalite },
  sqs: { label: 'ElasticMQ', logName: 'elasticmq', start: startElasticMq },
};

/**
 * Starts the four servers in parallel, each supervised. If one cannot start, those already running are
 * stopped before the error is rethrown.
 */
export async function startServers(options: StartServersOptions): Promise<LocalServers> {
  const transportPort = await freePort(options.host);
  const names = Object.keys(SERVERS) as ServerName[];
  const results = await Promise.allSettled(
    names.map((name) => {
      const { label, logName, start } = SERVERS[name];
      const logFile = join(options.logsDir, `${logName}.log`);
      const serviceOptions: ServiceOptions & { transportPort?: number } = {
        port: options.ports[name],
        host: options.host,
        dataDir: join(options.dataDir, logName),
        logFile,
        ...(name === 'opensearch' ? { transportPort } : {}),
      };
      return options.timed(label, () =>
        superviseService({
          name: logName,
          start: (restart, stopping) =>
            start({
              ...serviceOptions,
              keepData: restart,
              // The stack's signal covers the first start; later ones end when the supervisor stops.
              signal: restart ? stopping : (options.signal ?? stopping),
            }),
          log: (line) => {
            appendLogLine(logFile, `=== ${new Date().toISOString()} ${line}`);
            options.log(line);
          },
        }),
      );
    }),
  );
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.allSettled(started.map((service) => service.stop()));
    throw failed.reason;
  }
  return Object.fromEntries(names.map((name, index) => [name, started[index]])) as LocalServers;
}
