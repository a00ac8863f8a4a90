/**
 * The environment a function gets in the local stack, derived from the same bindings the CDK stack
 * grants (`FUNCTION_BINDINGS` / `BINDING_ENV`), so a function sees locally exactly the variables it
 * will see in AWS, pointed at the local emulators.
 */
import { ENV } from '../lambdas/shared/env-names.js';
import { DEFAULT_SETTINGS } from '../lib/stacks/pipeline-settings.js';
import {
  type ApiSettings,
  apiSettingsEnv,
  BINDING_ENV,
  FUNCTION_BINDINGS,
  type FunctionId,
  OPENSEARCH,
  type TableKey,
} from '../lib/topology.js';
import { LOCAL_CREDENTIALS } from './local-aws.js';

export interface LocalResourceEndpoints {
  region: string;
  kinesisUrl: string;
  dynamodbUrl: string;
  sqsUrl: string;
  opensearchUrl: string;
  streamName: string;
  tableNames: Record<TableKey, string>;
  deadLetterQueueUrl: string;
  websocketManagementEndpoint: string;
  /** The stats API's cursor key: random per start of the stack (cursors live 2 minutes). */
  cursorSigningKey: string;
}

// Part of this module's API since before `local-aws.ts` named the local identity in one place.
export { LOCAL_CREDENTIALS };

/**
 * The API settings of the local stack unless `cdk.json` names others (`local-settings.ts`): the deployed
 * stack's defaults.
 */
export const LOCAL_API_SETTINGS: ApiSettings = {
  corsAllowedOrigins: DEFAULT_SETTINGS.corsAllowedOrigins,
  keyRateLimit: DEFAULT_SETTINGS.keyRateLimit,
  keyBurstLimit: DEFAULT_SETTINGS.keyBurstLimit,
  keyEventRateLimit: DEFAULT_SETTINGS.keyEventRateLimit,
  keyEventBurstLimit: DEFAULT_SETTINGS.keyEventBurstLimit,
  apiKeyCacheSeconds: DEFAULT_SETTINGS.apiKeyCacheSeconds,
  eventMaxPastSeconds: DEFAULT_SETTINGS.eventMaxPastSeconds,
  eventMaxFutureSeconds: DEFAULT_SETTINGS.eventMaxFutureSeconds,
};

/**
 * Environment variables for one function, bound only to the resources it is granted, with the API
 * settings the stack would give it (`apiSettingsEnv`).
 */
export function localFunctionEnvironment(
  id: FunctionId,
  resources: LocalResourceEndpoints,
  settings: ApiSettings = LOCAL_API_SETTINGS,
): Record<string, string> {
  const bindings = FUNCTION_BINDINGS[id];
  const env: Record<string, string> = {
    ...LOCAL_CREDENTIALS,
    AWS_REGION: resources.region,
    AWS_DEFAULT_REGION: resources.region,
    // The SDK's standard service-specific endpoint variables: the function code stays unchanged.
    AWS_ENDPOINT_URL_KINESIS: resources.kinesisUrl,
    AWS_ENDPOINT_URL_DYNAMODB: resources.dynamodbUrl,
    AWS_ENDPOINT_URL_SQS: resources.sqsUrl,
    // Lambda runs Node 22+; the SDK's warning about this machine's Node 20 is noise in local logs.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: id,
    POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
    ...apiSettingsEnv(id, settings),
  };
  if (bindings.stream) env[BINDING_ENV.stream] = resources.streamName;
  for (const table of Object.keys(bindings.tables ?? {}) as TableKey[]) {
    env[BINDING_ENV.tables[table]] = resources.tableNames[table];
  }
  if (bindings.opensearch) {
    env[BINDING_ENV.opensearch] = resources.opensearchUrl;
    // The local OpenSearch has no security plugin; AWS OpenSearch Service is signed with SigV4.
    env[ENV.opensearchAuth] = 'none';
    env[ENV.eventsIndexPrefix] = OPENSEARCH.eventsIndexPrefix;
  }
  if (bindings.deadLetterQueue) env[BINDING_ENV.deadLetterQueue] = resources.deadLetterQueueUrl;
  if (bindings.websocketManagement)
    env[BINDING_ENV.websocketManagement] = resources.websocketManagementEndpoint;
  if (bindings.cursorSigningKey) env[BINDING_ENV.cursorSigningKey] = resources.cursorSigningKey;
  return env;
}
