/**
 * The one configuration of the SDK clients: one HTTP/1.1 keep-alive handler (kinesalite, the local
 * Kinesis, does not speak the HTTP/2 the Kinesis client defaults to) with connection and request
 * timeouts, and the SDK's own standard retry strategy for whole-request failures.
 *
 * Each client lives in a module of its own (`kinesis-client.ts`, `dynamodb-client.ts`, `sqs-client.ts`,
 * `websocket-management-client.ts`, `opensearch-client.ts`), so a function bundles only the clients it
 * calls: the SDK is bundled from its CommonJS build where nothing imported is ever dropped, and from its
 * ES build only what a module references is kept.
 *
 * Endpoints: the SDK resolves the standard `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`
 * variables itself (@smithy/core `getEndpointUrlConfig`, service ids "Kinesis", "DynamoDB", "SQS"),
 * so the local stack points clients at its emulators without code here.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
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
    // In @smithy/node-http-handler 4.x a `requestTimeout` alone only logs a warning and keeps waiting:
    // a store that hangs held a call until the function's own timeout. As an error, the SDK's retry
    // strategy tries again (`TimeoutError` is transient) and the caller sees the failure in time.
    throwOnRequestTimeout: true,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: CLIENT_SETTINGS.maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: CLIENT_SETTINGS.maxSockets }),
  });
  return httpHandler;
}

/** The configuration every SDK client of a function is created with. */
export function clientConfig() {
  return {
    requestHandler: sharedHttpHandler(),
    retryMode: 'standard',
    maxAttempts: CLIENT_SETTINGS.maxAttempts,
  } as const;
}

/** A factory that creates its value on the first call and returns the same one after. */
export function once<T>(create: () => T): () => T {
  let instance: T | undefined;
  return () => {
    instance ??= create();
    return instance;
  };
}
