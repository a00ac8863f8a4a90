/**
 * The local stack: the whole system on one machine, no Docker, no AWS account.
 *
 * Real servers (OpenSearch, DynamoDB Local, kinesalite, ElasticMQ) run as child processes; the parts
 * no emulator provides here (API Gateway REST and WebSocket, Lambda, the Kinesis event source mapping)
 * are emulated by `local/runtime`, `local/gateway` and `local/event-source-mapping`. Everything is built
 * from `lib/topology.ts`, the definitions the CDK stack deploys.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  API_STAGE,
  FUNCTIONS,
  type FunctionId,
  REST_ROUTES,
  STREAM_MAPPINGS,
  WEBSOCKET_ROUTES,
} from '../lib/topology.js';
import { type DevAccount, registerAccount } from './accounts.js';
import {
  type OnFailureRecord,
  startKinesisEventSourceMapping,
} from './event-source-mapping/kinesis-event-source-mapping.js';
import { localFunctionEnvironment } from './function-environment.js';
import { startRestGateway } from './gateway/rest-gateway.js';
import { startWebSocketGateway } from './gateway/websocket-gateway.js';
import { provisionLocalResources } from './provision.js';
import { bundleFunctions } from './runtime/bundle.js';
import { type LocalFunction, startFunction } from './runtime/function-host.js';
import { startDynamoDbLocal } from './services/dynamodb.js';
import { startElasticMq } from './services/elasticmq.js';
import { ensureEmulatorsInstalled } from './services/install.js';
import { startKinesalite } from './services/kinesalite.js';
import { LOCAL_REGION, localKinesis, localSqs } from './services/local-clients.js';
import { startOpenSearch } from './services/opensearch.js';
import { freePort, type ServiceHandle } from './services/process.js';

// Lambda runs Node 22+; the SDK's warning about this machine's Node 20 is noise for the stack's own clients.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface LocalPorts {
  rest: number;
  websocket: number;
  opensearch: number;
  dynamodb: number;
  kinesis: number;
  sqs: number;
}

/** Ports of `npm start`; tests use free random ports so they can run beside it. */
export const DEFAULT_PORTS: LocalPorts = {
  rest: 3000,
  websocket: 3001,
  opensearch: 9200,
  dynamodb: 8000,
  kinesis: 4567,
  sqs: 9324,
};

/** What `.local/endpoints.json` holds: everything a client, test or script needs to talk to the stack. */
export interface LocalEndpoints {
  ingestUrl: string;
  statsUrl: string;
  websocketUrl: string;
  opensearchUrl: string;
  dynamodbUrl: string;
  kinesisUrl: string;
  sqsUrl: string;
  writeKey: string;
  readKey: string;
  accountId: string;
  region: string;
  streamName: string;
  deadLetterQueueUrl: string;
  apiKeysTableName: string;
  rollupsTableName: string;
  connectionsTableName: string;
}

export interface LocalStackOptions {
  /** Folder for data, logs and bundles. */
  dataDir: string;
  /** `'random'` picks free ports (tests); default: DEFAULT_PORTS. */
  ports?: Partial<LocalPorts> | 'random';
  /** The development account to register. */
  account: DevAccount;
  /** Progress lines ("OpenSearch ready in 21.3 s"). */
  progress?: (line: string) => void;
  /** Function log lines, prefixed with the function id. */
  functionLog?: (line: string) => void;
}

export interface LocalStack {
  endpoints: LocalEndpoints;
  /** Start-up time of each part, in milliseconds. */
  timings: Record<string, number>;
  /** Bundle size of each function, in bytes. */
  bundleSizes: Record<FunctionId, number>;
  stop(): Promise<void>;
}

async function resolvePorts(ports: LocalStackOptions['ports']): Promise<LocalPorts> {
  if (ports === 'random') {
    const entries = await Promise.all(
      (Object.keys(DEFAULT_PORTS) as (keyof LocalPorts)[]).map(
        async (name) => [name, await freePort()] as const,
      ),
    );
    return Object.fromEntries(entries) as unknown as LocalPorts;
  }
  return { ...DEFAULT_PORTS, ...ports };
}

/** Times one start-up step and reports it. */
async function timed<T>(
  timings: Record<string, number>,
  name: string,
  progress: (line: string) => void,
  step: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const result = await step();
  timings[name] = Math.round(performance.now() - started);
  progress(`  ✓ ${name} ready in ${(timings[name] / 1000).toFixed(1)} s`);
  return result;
}

/**
 * Starts the whole stack and resolves once every part answers its health check. On any failure the
 * parts already started are stopped before the error is rethrown, so no process is left behind.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const progress = options.progress ?? (() => {});
  const functionLog = options.functionLog ?? (() => {});
  const ports = await resolvePorts(options.ports);
  const host = '127.0.0.1';
  const logsDir = join(options.dataDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  const timings: Record<string, number> = {};
  const stoppers: (() => Promise<void>)[] = [];
  const startedAt = performance.now();

  const stopAll = async () => {
    // Reverse order: mappings and gateways before the functions they call, functions before servers.
    for (const stop of stoppers.reverse()) {
      await stop().catch((error: unknown) => progress(`  ! stop failed: ${String(error)}`));
    }
    stoppers.length = 0;
  };

  try {
    await timed(timings, 'emulators installed', progress, () => ensureEmulatorsInstalled({ progress }));

    const service = async (name: string, start: () => Promise<ServiceHandle>) => {
      const handle = await timed(timings, name, progress, start);
      stoppers.push(() => handle.stop());
      return handle;
    };
    progress('Starting servers and bundling functions…');
    const [opensearch, dynamodb, kinesis, sqs, bundles] = await Promise.all([
      service('OpenSearch', () =>
        startOpenSearch({
          port: ports.opensearch,
          host,
          dataDir: join(options.dataDir, 'opensearch'),
          logFile: join(logsDir, 'opensearch.log'),
        }),
      ),
      service('DynamoDB Local', () =>
        startDynamoDbLocal({
          port: ports.dynamodb,
          host,
          dataDir: join(options.dataDir, 'dynamodb'),
          logFile: join(logsDir, 'dynamodb.log'),
        }),
      ),
      service('kinesalite', () =>
        startKinesalite({
          port: ports.kinesis,
          host,
          dataDir: join(options.dataDir, 'kinesalite'),
          logFile: join(logsDir, 'kinesalite.log'),
        }),
      ),
      service('ElasticMQ', () =>
        startElasticMq({
          port: ports.sqs,
          host,
          dataDir: join(options.dataDir, 'elasticmq'),
          logFile: join(logsDir, 'elasticmq.log'),
        }),
      ),
      timed(timings, 'function bundles', progress, () =>
        bundleFunctions(Object.values(FUNCTIONS), join(options.dataDir, 'build')),
      ),
    ]);

    const resources = await timed(timings, 'resources provisioned', progress, () =>
      provisionLocalResources({
        kinesisEndpoint: kinesis.url,
        dynamodbEndpoint: dynamodb.url,
        sqsEndpoint: sqs.url,
        opensearchEndpoint: opensearch.url,
        region: LOCAL_REGION,
      }),
    );
    await registerAccount(
      { dynamodbUrl: dynamodb.url, region: LOCAL_REGION, apiKeysTableName: resources.tableNames.apiKeys },
      options.account,
    );

    // The management endpoint must be known before the functions start: they read it at cold start.
    const websocketManagementEndpoint = `http://${host}:${ports.websocket}/${API_STAGE}`;
    const functions = {} as Record<FunctionId, LocalFunction>;
    await timed(timings, 'functions', progress, async () => {
      await Promise.all(
        Object.values(FUNCTIONS).map(async (definition) => {
          const bundle = bundles[definition.id];
          const fn = await startFunction({
            definition,
            bundleFile: bundle.file,
            env: localFunctionEnvironment(definition.id, {
              region: LOCAL_REGION,
              kinesisUrl: kinesis.url,
              dynamodbUrl: dynamodb.url,
              sqsUrl: sqs.url,
              opensearchUrl: opensearch.url,
              streamName: resources.streamName,
              tableNames: resources.tableNames,
              deadLetterQueueUrl: resources.deadLetterQueueUrl,
              websocketManagementEndpoint,
            }),
            log: functionLog,
          });
          functions[definition.id] = fn;
          stoppers.push(() => fn.stop());
        }),
      );
    });

    const rest = await timed(timings, 'REST gateway', progress, () =>
      startRestGateway({ port: ports.rest, host, routes: REST_ROUTES, functions, stage: API_STAGE }),
    );
    stoppers.push(() => rest.close());
    const websocket = await timed(timings, 'WebSocket gateway', progress, () =>
      startWebSocketGateway({
        port: ports.websocket,
        host,
        routes: WEBSOCKET_ROUTES,
        functions,
        stage: API_STAGE,
      }),
    );
    stoppers.push(() => websocket.close());

    // The mappings poll kinesalite as Lambda's pollers poll Kinesis; on-failure records go to the
    // dead-letter queue, as the deployed mappings' SQS destination does.
    // Three attempts, the SDK's default: a blip in the emulator must not look like a failed batch.
    const kinesisClient = localKinesis(kinesis.url, { maxAttempts: 3 });
    const sqsClient = localSqs(sqs.url, { maxAttempts: 3 });
    stoppers.push(async () => {
      kinesisClient.destroy();
      sqsClient.destroy();
    });
    const mappingsReady: Promise<void>[] = [];
    for (const mapping of STREAM_MAPPINGS) {
      const esm = startKinesisEventSourceMapping({
        kinesis: kinesisClient,
        streamName: resources.streamName,
        streamArn: resources.streamArn,
        mapping,
        fn: functions[mapping.functionId],
        region: LOCAL_REGION,
        log: (line: string) => functionLog(`[esm:${mapping.functionId}] ${line}`),
        onFailure: async (record: OnFailureRecord) => {
          await sqsClient.send(
            new SendMessageCommand({
              QueueUrl: resources.deadLetterQueueUrl,
              MessageBody: JSON.stringify(record),
            }),
          );
        },
      });
      stoppers.push(() => esm.stop());
      mappingsReady.push(esm.ready);
    }
    // A LATEST mapping only sees records put after it holds a shard iterator: wait for that, so an
    // event posted right after start-up is pushed live.
    await timed(timings, 'event source mappings', progress, () => Promise.all(mappingsReady));

    timings.total = Math.round(performance.now() - startedAt);
    const endpoints: LocalEndpoints = {
      ingestUrl: `${rest.url}/v1/events`,
      statsUrl: `${rest.url}/v1/accounts/${options.account.accountId}/summary`,
      websocketUrl: websocket.url,
      opensearchUrl: opensearch.url,
      dynamodbUrl: dynamodb.url,
      kinesisUrl: kinesis.url,
      sqsUrl: sqs.url,
      writeKey: options.account.writeKey,
      readKey: options.account.readKey,
      accountId: options.account.accountId,
      region: LOCAL_REGION,
      streamName: resources.streamName,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      apiKeysTableName: resources.tableNames.apiKeys,
      rollupsTableName: resources.tableNames.rollups,
      connectionsTableName: resources.tableNames.connections,
    };
    const bundleSizes = Object.fromEntries(
      Object.entries(bundles).map(([id, bundle]) => [id, bundle.bytes]),
    ) as Record<FunctionId, number>;
    return { endpoints, timings, bundleSizes, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Writes the endpoints where scripts, tests and the README's sample curl find them. */
export async function writeEndpointsFile(file: string, endpoints: LocalEndpoints): Promise<void> {
  await writeFile(file, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
}
