/**
 * The local stack: the whole system on one machine, no Docker, no AWS account.
 *
 * Real servers (OpenSearch, DynamoDB Local, kinesalite, ElasticMQ) run as supervised child processes
 * (`stack-servers.ts`); the parts no emulator provides here (API Gateway REST and WebSocket, Lambda, the
 * Kinesis event source mapping) are emulated by `local/gateway`, `local/runtime` and
 * `local/event-source-mapping` (`stack-pipeline.ts` wires them). Everything is built from
 * `lib/topology.ts`, the definitions the CDK stack deploys.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { API_STAGE, type ApiSettings, FUNCTIONS, type FunctionId } from '../lib/topology.js';
import { type DevAccount, registerAccount } from './accounts.js';
import { startControlServer } from './control-server.js';
import { buildLocalDashboard, startDashboardServer } from './dashboard-server.js';
import type { KinesisEventSourceMapping } from './event-source-mapping/kinesis-event-source-mapping.js';
import { LOCAL_API_SETTINGS } from './function-environment.js';
import { LOCAL_REGION } from './local-aws.js';
import { provisionLocalResources } from './provision.js';
import { bundleFunctions } from './runtime/bundle.js';
import type { FunctionHost } from './runtime/function-host.js';
import { ensureEmulatorsInstalled } from './services/install.js';
import { startGateways } from './stack-gateways.js';
import { lockDataDir } from './stack-lock.js';
import { startFunctions, startMappings } from './stack-pipeline.js';
import { type LocalPorts, resolvePorts } from './stack-ports.js';
import { type LocalServers, startServers } from './stack-servers.js';

export { DEFAULT_PORTS, type LocalPorts } from './stack-ports.js';

// Lambda runs Node 22+; the SDK's warning about this machine's Node 20 is noise for the stack's own clients.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What `.local/endpoints.json` holds: everything a client, test or script needs to talk to the stack. */
export interface LocalEndpoints {
  ingestUrl: string;
  statsUrl: string;
  websocketUrl: string;
  opensearchUrl: string;
  dynamodbUrl: string;
  kinesisUrl: string;
  sqsUrl: string;
  /** The control API: servers, function environments and mapping stats, and signals to hurt them. */
  controlUrl: string;
  /** The dashboard page: sign in with the read key. */
  dashboardUrl: string;
  /** One log file per server, function, gateway and mapping. */
  logsDir: string;
  writeKey: string;
  readKey: string;
  accountId: string;
  region: string;
  streamName: string;
  deadLetterQueueUrl: string;
  apiKeysTableName: string;
  accountsTableName: string;
  rollupsTableName: string;
  connectionsTableName: string;
  liveTokensTableName: string;
  admissionTableName: string;
}

export interface LocalStackOptions {
  /** Folder for data, logs and bundles. */
  dataDir: string;
  /** `'random'` picks free ports (tests); default: DEFAULT_PORTS. */
  ports?: Partial<LocalPorts> | 'random';
  /** The development account to register. */
  account: DevAccount;
  /** Progress and supervision lines ("OpenSearch ready in 21.3 s", "opensearch back after 14.2 s"). */
  progress?: (line: string) => void;
  /** Function, gateway and mapping log lines, prefixed with their name (each also has its own file). */
  functionLog?: (line: string) => void;
  /** Execution environments per function at most; default `LOCAL_FUNCTION_CONCURRENCY`. */
  functionConcurrency?: number;
  /** CORS origins and the default limits of keys; default the deployed stack's defaults. */
  apiSettings?: Partial<ApiSettings>;
  /**
   * Where to write the endpoints once the stack is ready (`npm start`: `.local/endpoints.json`). It is
   * removed when the stack stops, and a stale one (from a stack that died) when the next one starts.
   */
  endpointsFile?: string;
  /**
   * Abandons the start-up (Ctrl-C): servers still booting are stopped at once, no further step runs,
   * and `startLocalStack` rejects once everything started so far is stopped.
   */
  signal?: AbortSignal;
}

export interface LocalStack {
  endpoints: LocalEndpoints;
  /** Start-up time of each part, in milliseconds. */
  timings: Record<string, number>;
  /** Bundle size of each function, in bytes. */
  bundleSizes: Record<FunctionId, number>;
  servers: LocalServers;
  functions: Record<FunctionId, FunctionHost>;
  mappings: Record<string, KinesisEventSourceMapping>;
  stop(): Promise<void>;
}

/**
 * Starts the whole stack and resolves once every part answers its health check. On any failure the
 * parts already started are stopped before the error is rethrown, so no process is left behind.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const progress = options.progress ?? (() => {});
  const functionLog = options.functionLog ?? (() => {});
  const apiSettings: ApiSettings = { ...LOCAL_API_SETTINGS, ...options.apiSettings };
  const host = '127.0.0.1';
  const logsDir = join(options.dataDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  // Before anything in the data folder is touched: a stack already running on it keeps its data.
  const lock = await lockDataDir(options.dataDir, options.endpointsFile);
  const timings: Record<string, number> = {};
  const stoppers: (() => Promise<void>)[] = [];
  const startedAt = performance.now();
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await step();
    options.signal?.throwIfAborted();
    timings[name] = Math.round(performance.now() - started);
    progress(`  ✓ ${name} ready in ${(timings[name] / 1000).toFixed(1)} s`);
    return result;
  };
  const stopAll = async () => {
    // The servers' processes and timers are unref'd; once the gateways are closed nothing else would keep
    // Node running until the servers have stopped cleanly.
    const keepAlive = setInterval(() => undefined, 1000);
    // Reverse order: mappings and gateways before the functions they call, functions before servers.
    for (const stop of stoppers.reverse()) {
      await stop().catch((error: unknown) => progress(`  ! stop failed: ${String(error)}`));
    }
    stoppers.length = 0;
    clearInterval(keepAlive);
  };

  stoppers.push(() => lock.release());
  // Until the gateways listen, nothing else may hold the event loop (server processes and their stop
  // timers are unref'd): a start-up interrupted by Ctrl-C would end the process in the middle of
  // stopping what it started, its servers killed by their parent-death signal and its lock left behind.
  const keepAlive = setInterval(() => undefined, 1000);

  try {
    const ports = await resolvePorts(options.ports, host);
    await timed('emulators installed', () => ensureEmulatorsInstalled({ progress }));
    progress('Starting servers and bundling functions…');
    // Settled, not raced: servers still starting when bundling fails must be stopped too.
    const [serversStarted, bundled, dashboardBuilt] = await Promise.allSettled([
      startServers({
        ports,
        host,
        dataDir: options.dataDir,
        logsDir,
        log: progress,
        timed,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
      timed('function bundles', () =>
        bundleFunctions(Object.values(FUNCTIONS), join(options.dataDir, 'build')),
      ),
      timed('dashboard page built', () => buildLocalDashboard(options.dataDir)),
    ]);
    if (serversStarted.status === 'fulfilled') {
      const started = Object.values(serversStarted.value);
      stoppers.push(() => Promise.all(started.map((server) => server.stop())).then(() => undefined));
    }
    if (serversStarted.status === 'rejected') throw serversStarted.reason;
    if (bundled.status === 'rejected') throw bundled.reason;
    if (dashboardBuilt.status === 'rejected') throw dashboardBuilt.reason;
    const [servers, bundles] = [serversStarted.value, bundled.value];
    const urls = {
      kinesisUrl: servers.kinesis.url,
      dynamodbUrl: servers.dynamodb.url,
      sqsUrl: servers.sqs.url,
      opensearchUrl: servers.opensearch.url,
    };

    const resources = await timed('resources provisioned', () =>
      provisionLocalResources({
        kinesisEndpoint: urls.kinesisUrl,
        dynamodbEndpoint: urls.dynamodbUrl,
        sqsEndpoint: urls.sqsUrl,
        opensearchEndpoint: urls.opensearchUrl,
        region: LOCAL_REGION,
      }),
    );
    await registerAccount(
      {
        dynamodbUrl: urls.dynamodbUrl,
        region: LOCAL_REGION,
        apiKeysTableName: resources.tableNames.apiKeys,
        accountsTableName: resources.tableNames.accounts,
      },
      options.account,
    );

    // The management endpoint must be known before the functions start: they read it at cold start.
    const websocketManagementEndpoint = `http://${host}:${ports.websocket}/${API_STAGE}`;
    const functions = await timed('functions', () =>
      startFunctions({
        bundles,
        resources: {
          region: LOCAL_REGION,
          ...urls,
          ...resources,
          websocketManagementEndpoint,
          // Cursors live 2 minutes: a new key per start costs nothing and is never a shared default.
          cursorSigningKey: randomBytes(32).toString('base64url'),
        },
        logsDir,
        functionLog,
        apiSettings,
        ...(options.functionConcurrency ? { concurrency: options.functionConcurrency } : {}),
      }),
    );
    stoppers.push(() => Promise.all(Object.values(functions).map((fn) => fn.stop())).then(() => {}));

    const gateways = await startGateways({
      ports,
      host,
      functions,
      logsDir,
      console: functionLog,
      timed,
      corsOrigins: apiSettings.corsAllowedOrigins,
    });
    stoppers.push(() => gateways.stop());
    const dashboard = await startDashboardServer({
      port: ports.dashboard,
      host,
      siteDir: dashboardBuilt.value,
      restUrl: gateways.rest.url,
      websocketUrl: gateways.websocket.url,
      logsDir,
      console: functionLog,
    });
    stoppers.push(() => dashboard.close());

    const mappings = startMappings({ functions, resources, ...urls, logsDir, functionLog });
    stoppers.push(() => mappings.stop());
    // A LATEST mapping only sees records put after it holds a shard iterator: wait for that, so an
    // event posted right after start-up is pushed live.
    await timed('event source mappings', () => mappings.ready);

    const control = await startControlServer(
      { services: servers, functions, mappings: mappings.mappings },
      { port: ports.control, host, log: progress },
    );
    stoppers.push(() => control.close());

    timings.total = Math.round(performance.now() - startedAt);
    const endpoints: LocalEndpoints = {
      ingestUrl: `${gateways.rest.url}/v1/events`,
      statsUrl: `${gateways.rest.url}/v1/accounts/${options.account.accountId}/summary`,
      websocketUrl: gateways.websocket.url,
      ...urls,
      controlUrl: control.url,
      dashboardUrl: dashboard.url,
      logsDir,
      writeKey: options.account.writeKey,
      readKey: options.account.readKey,
      accountId: options.account.accountId,
      region: LOCAL_REGION,
      streamName: resources.streamName,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      apiKeysTableName: resources.tableNames.apiKeys,
      accountsTableName: resources.tableNames.accounts,
      rollupsTableName: resources.tableNames.rollups,
      connectionsTableName: resources.tableNames.connections,
      liveTokensTableName: resources.tableNames.liveTokens,
      admissionTableName: resources.tableNames.admission,
    };
    await lock.publish(endpoints);
    const bundleSizes = Object.fromEntries(
      Object.entries(bundles).map(([id, bundle]) => [id, bundle.bytes]),
    ) as Record<FunctionId, number>;
    return {
      endpoints,
      timings,
      bundleSizes,
      servers,
      functions,
      mappings: mappings.mappings,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    clearInterval(keepAlive);
  }
}
