/**
 * What a command works against: the local stack (`.local/endpoints.json`, written by `npm start`) or a
 * deployed stage (the CloudFormation outputs of its stack). Both resolve to the same `Target`, so every
 * command is written once and works in both places.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { STACK_OUTPUTS } from '../lib/stack-outputs.js';
import { localDynamoDb, localKinesis, localSqs } from '../local/services/local-clients.js';
import type { LocalEndpoints } from '../local/stack.js';

/** The names and URLs of one deployment's resources. */
export interface TargetResources {
  restApiUrl: string;
  websocketUrl: string;
  opensearchEndpoint: string;
  streamName: string;
  deadLetterQueueUrl: string;
  apiKeysTableName: string;
  accountsTableName: string;
  rollupsTableName: string;
  connectionsTableName: string;
  /** A deployed stage's REST API and the usage plan of keys without limits of their own. */
  usagePlans?: { restApiId: string; stage: string; defaultUsagePlanId: string };
}

export interface Target {
  /** `local` or `stack <name> (<region>)`, for the summary lines. */
  label: string;
  kind: 'local' | 'aws';
  region: string;
  /** The deployed stack's name (its alarms are named after it); undefined for the local stack. */
  stackName?: string;
  resources: TargetResources;
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  kinesis: KinesisClient;
  opensearch: OpenSearchClient;
  /** The local stack's endpoints file (its development account, servers), when the target is local. */
  local?: LocalEndpoints;
  /** Releases the clients' sockets so the process can exit. */
  close(): void;
}

export interface TargetOptions {
  /** `local` (default) or the name of a deployed CloudFormation stack. */
  stack?: string;
  region?: string;
  /** Where `npm start` wrote the local endpoints; default `.local/endpoints.json`. */
  endpointsFile?: string;
}

/**
 * A client per target, never the functions' process-wide one (`lambdas/shared/opensearch-client.ts`):
 * a target closes its clients, and a process (a test) may resolve several targets one after another.
 */
const OPENSEARCH_OPTIONS = { requestTimeout: 30_000, maxRetries: 2 };

/** Attempts of the SDK's retry strategy per call, first included. */
const SDK_ATTEMPTS = 3;

/**
 * The HTTP handler of each SDK client of a deployed target (the local stack's clients set the same). In
 * @smithy/node-http-handler 4.x a `requestTimeout` alone only LOGS a warning and keeps waiting, and the
 * default is no timeout at all: a server that hangs (paused, overloaded, a network black hole) held a
 * command for ever, `status` included. `throwOnRequestTimeout` makes it an error that the SDK retries
 * and the command reports.
 */
export function httpHandler(requestTimeoutMs: number): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: 3_000,
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
  });
}

/** SDK client configuration for a deployed stage's region. */
/** SDK client settings for a deployed stage: its region, a timeout, the CLI's attempts. */
export function awsConfig(region: string) {
  return { region, requestHandler: httpHandler(30_000), maxAttempts: SDK_ATTEMPTS };
}

export const DEFAULT_ENDPOINTS_FILE = resolve(import.meta.dirname, '..', '.local', 'endpoints.json');

/** Resolves the target of a command; throws an error a user can act on when it cannot. */
export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (!options.stack || options.stack === 'local') return localTarget(options.endpointsFile);
  return deployedTarget(options.stack, options.region);
}

async function localTarget(file = DEFAULT_ENDPOINTS_FILE): Promise<Target> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
        'start the local stack with `npm start`, or name a deployed stack with --stack <name>',
    );
  }
  const endpoints = checkedEndpoints(parsed, file);
  const localOptions = { region: endpoints.region, maxAttempts: SDK_ATTEMPTS };
  return withClients({
    label: 'local stack',
    kind: 'local',
    local: endpoints,
    region: endpoints.region,
    resources: {
      restApiUrl: new URL('/', endpoints.ingestUrl).toString(),
      websocketUrl: endpoints.websocketUrl,
      opensearchEndpoint: endpoints.opensearchUrl,
      streamName: endpoints.streamName,
      deadLetterQueueUrl: endpoints.deadLetterQueueUrl,
      apiKeysTableName: endpoints.apiKeysTableName,
      accountsTableName: endpoints.accountsTableName,
      rollupsTableName: endpoints.rollupsTableName,
      connectionsTableName: endpoints.connectionsTableName,
    },
    // The local stack's clients time out too (`throwOnRequestTimeout`, `local/services/local-clients.ts`).
    dynamoClient: localDynamoDb(endpoints.dynamodbUrl, localOptions),
    sqs: localSqs(endpoints.sqsUrl, localOptions),
    kinesis: localKinesis(endpoints.kinesisUrl, localOptions),
    opensearch: new OpenSearchClient({ ...OPENSEARCH_OPTIONS, node: endpoints.opensearchUrl }),
  });
}

/** Every field of an endpoints file, each a non-empty string (typed, so a new field is listed here too). */
export const ENDPOINT_FIELDS = Object.keys({
  ingestUrl: true,
  statsUrl: true,
  websocketUrl: true,
  opensearchUrl: true,
  dynamodbUrl: true,
  kinesisUrl: true,
  sqsUrl: true,
  controlUrl: true,
  dashboardUrl: true,
  logsDir: true,
  writeKey: true,
  readKey: true,
  accountId: true,
  region: true,
  streamName: true,
  deadLetterQueueUrl: true,
  apiKeysTableName: true,
  accountsTableName: true,
  rollupsTableName: true,
  connectionsTableName: true,
  liveTokensTableName: true,
  admissionTableName: true,
} satisfies Record<keyof LocalEndpoints, true>);

/**
 * The endpoints `npm start` wrote, or an error naming the first field that is missing or not a string
 * (a file of another version, or edited by hand), rather than an `Invalid URL` from deep in a client.
 */
function checkedEndpoints(parsed: unknown, file: string): LocalEndpoints {
  const restart = 'restart the local stack with `npm start`, or name a deployed stack with --stack <name>';
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${file} is not a local stack's endpoints file (not a JSON object): ${restart}`);
  }
  const fields = parsed as Record<string, unknown>;
  const bad = ENDPOINT_FIELDS.find((name) => typeof fields[name] !== 'string' || fields[name] === '');
  if (bad !== undefined) {
    throw new Error(`${file} has no ${bad} (a file of another version?): ${restart}`);
  }
  const notUrl = ENDPOINT_FIELDS.find(
    (name) => name.endsWith('Url') && !URL.canParse(fields[name] as string),
  );
  if (notUrl !== undefined) {
    throw new Error(`${file}: ${notUrl} is not a URL: ${restart}`);
  }
  return parsed as LocalEndpoints;
}

async function deployedTarget(stackName: string, regionOption: string | undefined): Promise<Target> {
  const region = regionOption ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('no region: pass --region or set AWS_REGION');
  const cloudFormation = new CloudFormationClient(awsConfig(region));
  let outputs: Record<string, string>;
  try {
    const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries(
      (Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']),
    );
  } catch (error) {
    throw new Error(
      `cannot read the outputs of stack ${stackName} in ${region}: ${(error as Error).message}`,
    );
  } finally {
    cloudFormation.destroy();
  }
  const output = (key: string): string => {
    const value = outputs[key];
    if (!value) throw new Error(`stack ${stackName} has no output ${key}: deploy the current version first`);
    return value;
  };
  const resources: TargetResources = {
    restApiUrl: output(STACK_OUTPUTS.restApiUrl),
    websocketUrl: output(STACK_OUTPUTS.webSocketUrl),
    opensearchEndpoint: output(STACK_OUTPUTS.openSearchEndpoint),
    streamName: output(STACK_OUTPUTS.streamName),
    deadLetterQueueUrl: output(STACK_OUTPUTS.deadLetterQueueUrl),
    apiKeysTableName: output(STACK_OUTPUTS.apiKeysTableName),
    accountsTableName: output(STACK_OUTPUTS.accountsTableName),
    rollupsTableName: output(STACK_OUTPUTS.rollupsTableName),
    connectionsTableName: output(STACK_OUTPUTS.connectionsTableName),
    usagePlans: {
      restApiId: output(STACK_OUTPUTS.restApiId),
      stage: output(STACK_OUTPUTS.restApiStage),
      defaultUsagePlanId: output(STACK_OUTPUTS.defaultUsagePlanId),
    },
  };
  return withClients({
    label: `stack ${stackName} (${region})`,
    kind: 'aws',
    region,
    stackName,
    resources,
    dynamoClient: new DynamoDBClient(awsConfig(region)),
    sqs: new SQSClient(awsConfig(region)),
    kinesis: new KinesisClient(awsConfig(region)),
    opensearch: new OpenSearchClient({
      ...OPENSEARCH_OPTIONS,
      node: resources.opensearchEndpoint,
      ...AwsSigv4Signer({ region, service: 'es', getCredentials: defaultProvider() }),
    }),
  });
}

/** A target over its clients, with the document client on top and one `close` for them all. */
function withClients(parts: Omit<Target, 'dynamo' | 'close'> & { dynamoClient: DynamoDBClient }): Target {
  const { dynamoClient, ...target } = parts;
  return {
    ...target,
    dynamo: DynamoDBDocumentClient.from(dynamoClient, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    }),
    close: () => {
      dynamoClient.destroy();
      target.sqs.destroy();
      target.kinesis.destroy();
      void target.opensearch.close();
    },
  };
}
