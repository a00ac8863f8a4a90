/**
 * `npm start`: brings the local stack up, writes `.local/endpoints.json`, prints the endpoints (the
 * dashboard page first) and a sample curl, and runs until Ctrl-C or SIGTERM, then stops every process it started.
 *
 * `LOCAL_STACK_PORTS=random npm start` runs it on free ports instead of the defaults (3000, 3001, 9200,
 * 8000, 4567, 9324, 3002), beside another stack; the endpoints file says which.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/topology.js';
import { loadOrCreateDevAccount } from './accounts.js';
import { watchLaunchers } from './launcher-watch.js';
import { LOCAL_DIR } from './local-aws.js';
import { apiSettingsFromContext, namedSettings, readCdkContext } from './local-settings.js';
import { type LocalEndpoints, type LocalStack, startLocalStack } from './stack.js';
import { type StopRequest, stopAction } from './stop-requests.js';

const ACCOUNT_FILE = join(LOCAL_DIR, 'dev-account.json');
const ENDPOINTS_FILE = join(LOCAL_DIR, 'endpoints.json');
const CDK_JSON = join(REPO_ROOT, 'cdk.json');

function sampleCurl(endpoints: LocalEndpoints): string {
  const event = JSON.stringify({ type: 'page_view', user_id: 'user-1', path: '/pricing' });
  return [
    `curl -s -X POST '${endpoints.ingestUrl}' \\`,
    `  -H 'content-type: application/json' -H 'x-api-key: ${endpoints.writeKey}' \\`,
    `  -d '${event}'`,
    '',
    `curl -s '${endpoints.statsUrl}?window=last_24h' -H 'x-api-key: ${endpoints.readKey}'`,
    `curl -s -X POST '${endpoints.ingestUrl.replace(/\/events$/, '/live-tokens')}' -H 'x-api-key: ${endpoints.readKey}'`,
    `curl -s '${endpoints.opensearchUrl}/events-*/_search?q=account_id:${endpoints.accountId}&pretty'`,
  ].join('\n');
}

/** Set by the first Ctrl-C, SIGTERM or SIGHUP (or a launcher gone); a second one exits at once. */
let stopping = false;

/** The API settings of `cdk.json`'s context, checked before anything starts; printed when there are any. */
function settingsOfCdkJson() {
  const context = readCdkContext(CDK_JSON);
  try {
    const settings = apiSettingsFromContext(context);
    const named = namedSettings(context);
    if (named.length > 0) console.log(`Settings from cdk.json: ${named.join(' ')}`);
    return settings;
  } catch (error) {
    throw new Error(`${CDK_JSON}: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  const apiSettings = settingsOfCdkJson();
  await mkdir(LOCAL_DIR, { recursive: true });
  const account = await loadOrCreateDevAccount(ACCOUNT_FILE);
  console.log(
    'Starting the local stack (OpenSearch, DynamoDB Local, kinesalite, ElasticMQ, functions, gateways)…',
  );

  let stack: LocalStack | undefined;
  const starting = new AbortController();
  const stop = async (signal: string, request: StopRequest = 'interrupt') => {
    const action = stopAction(stopping, request);
    if (action === 'ignore') return;
    // A second Ctrl-C while stopping: children also die with us (they watch their parent).
    if (action === 'exit') process.exit(130);
    stopping = true;
    console.log(`\n${signal}: stopping the local stack…`);
    // While still starting: servers still booting are stopped, and startLocalStack rejects (below).
    if (!stack) {
      starting.abort();
      return;
    }
    await stack.stop();
    console.log('Stopped. No process left behind.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A closed terminal: stop as on SIGTERM (Node's default would end at once, leaving the lock, and on
  // a system without `setpriv` the servers). Writing to the gone terminal then fails: ignore that.
  process.on('SIGHUP', () => {
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    void stop('SIGHUP', 'hangup');
  });
  // `kill -9` of npm (or of tsx) kills no child: stop when a launcher disappears.
  watchLaunchers((pid) => void stop(`launcher (pid ${pid}) gone`, 'launcher-gone'));

  const portsSetting = process.env.LOCAL_STACK_PORTS;
  if (portsSetting && portsSetting !== 'random') {
    throw new Error(`LOCAL_STACK_PORTS may only be "random" (free ports), not "${portsSetting}"`);
  }
  stack = await startLocalStack({
    signal: starting.signal,
    dataDir: LOCAL_DIR,
    ...(portsSetting === 'random' ? { ports: 'random' as const } : {}),
    account,
    apiSettings,
    progress: (line) => console.log(line),
    functionLog: (line) => console.log(line),
    // Where scripts, the CLI and the README's sample curl find the stack; gone once it stops.
    endpointsFile: ENDPOINTS_FILE,
  });
  if (stopping) {
    await stack.stop();
    console.log('Stopped. No process left behind.');
    process.exit(0);
  }

  const { endpoints } = stack;
  console.log(`
Local stack ready in ${((stack.timings.total ?? 0) / 1000).toFixed(1)} s. Endpoints (also in ${ENDPOINTS_FILE}):
  dashboard       ${endpoints.dashboardUrl}  (open it, sign in with the read key below)
  ingest     POST ${endpoints.ingestUrl}
  stats      GET  ${endpoints.statsUrl}
  live token POST ${endpoints.ingestUrl.replace(/\/events$/, '/live-tokens')}  (header x-api-key: <readKey>)
  websocket       ${endpoints.websocketUrl}/?token=<live token>
  opensearch      ${endpoints.opensearchUrl}
  dynamodb        ${endpoints.dynamodbUrl}
  kinesis         ${endpoints.kinesisUrl}
  sqs             ${endpoints.sqsUrl}
  control         ${endpoints.controlUrl}/services (also /functions, /mappings)
  account         ${endpoints.accountId}
  write key       ${endpoints.writeKey}
  read key        ${endpoints.readKey}

Try it:
${sampleCurl(endpoints)}

Functions (bundled as Lambda gets them): ${Object.entries(stack.bundleSizes)
    .map(([id, bytes]) => `${id} ${(bytes / 1024 / 1024).toFixed(2)} MB`)
    .join(', ')}
Logs: ${join(LOCAL_DIR, 'logs')} (one file per server, function, gateway and mapping). Ctrl-C stops everything.`);
}

main().catch(async (error: unknown) => {
  if (stopping) {
    // Interrupted while starting: startLocalStack stopped what it had started before rejecting.
    console.log('Stopped. No process left behind.');
    process.exit(0);
  }
  console.error(
    `\nThe local stack could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
