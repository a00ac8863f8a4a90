/**
 * SDK (and OpenSearch) clients for the stack's own use (health checks, provisioning, the event source mappings, test
 * helpers), pointed at an emulator. HTTP/1.1 through NodeHttpHandler: kinesalite does not speak the
 * HTTP/2 the Kinesis client defaults to.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local-aws.js';

export interface LocalClientOptions {
  region?: string;
  /** SDK attempts per call; default 1, for callers that poll or must fail loudly. */
  maxAttempts?: number;
}

function config(endpoint: string, { region = LOCAL_REGION, maxAttempts = 1 }: LocalClientOptions) {
  return {
    endpoint,
    region,
    credentials: {
      accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
    // As an error, not a logged warning (@smithy/node-http-handler 4.x): a hung emulator fails the call.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 1_000,
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    }),
    maxAttempts,
  };
}

/** Kinesis client for kinesalite. */
export const localKinesis = (endpoint: string, options: LocalClientOptions = {}) =>
  new KinesisClient(config(endpoint, options));
/** DynamoDB client for DynamoDB Local. */
export const localDynamoDb = (endpoint: string, options: LocalClientOptions = {}) =>
  new DynamoDBClient(config(endpoint, options));
/** WebSocket `@connections` client for the local WebSocket gateway's management endpoint. */
export const localApiGatewayManagement = (endpoint: string, options: LocalClientOptions = {}) =>
  new ApiGatewayManagementApiClient(config(endpoint, options));
/** SQS client for ElasticMQ. */
export const localSqs = (endpoint: string, options: LocalClientOptions = {}) =>
  new SQSClient(config(endpoint, options));
/** OpenSearch client for the local node (no security plugin, so unsigned). */
export const localOpenSearch = (endpoint: string) =>
  new OpenSearchClient({ node: endpoint, requestTimeout: 10_000, maxRetries: 3 });
