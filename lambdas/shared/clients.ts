/**
 * The one place SDK clients are configured. Every client shares one HTTP/1.1 keep-alive handler
 * (kinesalite, the local Kinesis, does not speak the HTTP/2 the Kinesis client defaults to) with
 * connection and request timeouts, and the SDK's own standard retry strategy for whole-request
 * failures. Each client is created lazily, once per process.
 *
 * Endpoints: the SDK resolves the standard `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`
 * variables itself (@smithy/core `getEndpointUrlConfig`, service ids "Kinesis", "DynamoDB", "SQS"),
 * so the local stack points clients at its emulators without code here. The WebSocket management
 * API has a per-deployment endpoint, passed in from config.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Timeouts and attempts shared by every client. */
export const CLIENT_SETTINGS = {
  connectionTimeoutMs: 2_000,
  requestTimeoutMs: 5_000,
  maxSockets: 50,
  /** Attempts of the SDK's standard retry strategy, first attempt included. */
  maxAttempts: 3,
} as const;

let httpHandler: NodeHttpHandler | undefined;

/** The shared HTTP/1.1 keep-alive request handler. */
export function sharedHttpHandler(): NodeHttpHandler {
  httpHandler ??= new NodeHttpHandler({
    connectionTimeout: CLIENT_SETTINGS.connectionTimeoutMs,
    requestTimeout: CLIENT_SETTINGS.requestTimeoutMs,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: CLIENT_SETTINGS.maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: CLIENT_SETTINGS.maxSockets }),
  });
  return httpHandler;
}

function commonConfig() {
  return {
    requestHandler: sharedHttpHandler(),
    retryMode: 'standard',
    maxAttempts: CLIENT_SETTINGS.maxAttempts,
  } as const;
}

function once<T>(create: () => T): () => T {
  let instance: T | undefined;
  return () => {
    instance ??= create();
    return instance;
  };
}

/** The process's Kinesis client. */
export const kinesisClient = /* @__PURE__ */ once(() => new KinesisClient(commonConfig()));

/** The process's DynamoDB document client (plain JS values in, plain JS values out). */
export const dynamoDocumentClient = /* @__PURE__ */ once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient(commonConfig()), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  }),
);

/** The process's SQS client. */
export const sqsClient = /* @__PURE__ */ once(() => new SQSClient(commonConfig()));

const managementClients = new Map<string, ApiGatewayManagementApiClient>();

/** The WebSocket @connections client for `endpoint` (one per endpoint per process). */
export function apiGatewayManagementClient(endpoint: string): ApiGatewayManagementApiClient {
  let client = managementClients.get(endpoint);
  if (!client) {
    client = new ApiGatewayManagementApiClient({ ...commonConfig(), endpoint });
    managementClients.set(endpoint, client);
  }
  return client;
}
