/**
 * The events the local WebSocket API sends its route functions (`$connect`, `$default`, `$disconnect`,
 * shaped like `APIGatewayProxyWebsocketEventV2`), and how a `$connect` result decides the upgrade. Pure.
 *
 * Reference: API Gateway developer guide, "WebSocket APIs" (routes, `$connect` semantics).
 */
import type { InvocationResult } from '../runtime/function-host.js';
import { newExtendedRequestId, newRequestId, type QueryMaps, requestTime } from './http-event.js';
import type { ConnectionIdentity } from './websocket-connections.js';

export interface ApiContext {
  stage: string;
  apiId: string;
}

/** The `requestContext` fields every route's event carries. */
function baseContext(api: ApiContext, connection: ConnectionIdentity, now = new Date()) {
  return {
    extendedRequestId: newExtendedRequestId(),
    requestTime: requestTime(now),
    messageDirection: 'IN',
    stage: api.stage,
    connectedAt: connection.connectedAt.getTime(),
    requestTimeEpoch: now.getTime(),
    identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
    requestId: newRequestId(),
    domainName: connection.domainName,
    connectionId: connection.id,
    apiId: api.apiId,
  };
}

export function connectEvent(api: ApiContext, connection: ConnectionIdentity, query: QueryMaps) {
  return {
    headers: connection.headers,
    multiValueHeaders: connection.multiValueHeaders,
    ...query,
    requestContext: { routeKey: '$connect', eventType: 'CONNECT', ...baseContext(api, connection) },
    isBase64Encoded: false,
  };
}

/** A message frame: text as is, binary base64-encoded. */
export function messageEvent(
  api: ApiContext,
  connection: ConnectionIdentity,
  payload: Buffer,
  isBinary: boolean,
) {
  return {
    requestContext: {
      routeKey: '$default',
      messageId: newExtendedRequestId(),
      eventType: 'MESSAGE',
      ...baseContext(api, connection),
    },
    body: isBinary ? payload.toString('base64') : payload.toString('utf8'),
    isBase64Encoded: isBinary,
  };
}

export function disconnectEvent(
  api: ApiContext,
  connection: ConnectionIdentity,
  code: number,
  reason: string,
) {
  return {
    headers: connection.headers,
    multiValueHeaders: connection.multiValueHeaders,
    requestContext: {
      routeKey: '$disconnect',
      disconnectStatusCode: code,
      eventType: 'DISCONNECT',
      disconnectReason: reason,
      ...baseContext(api, connection),
    },
    isBase64Encoded: false,
  };
}

/**
 * How a `$connect` invocation decides the upgrade: a result's `statusCode` (a successful invocation
 * without one accepts), a function error is a 500. The chosen subprotocol, if the client offered some,
 * is taken from the result's `Sec-WebSocket-Protocol` header, which API Gateway requires for them.
 */
export function connectVerdict(result: InvocationResult): {
  statusCode: number;
  body: unknown;
  protocol?: string;
} {
  if (result.status === 'error') return { statusCode: 500, body: { message: 'Internal server error' } };
  const payload = (result.payload ?? {}) as {
    statusCode?: unknown;
    body?: unknown;
    headers?: Record<string, unknown>;
  };
  const statusCode = Number(payload.statusCode ?? 200);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { statusCode: 502, body: { message: 'Internal server error' } };
  }
  const protocolHeader = Object.entries(payload.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
  );
  return {
    statusCode,
    body: typeof payload.body === 'string' ? payload.body : null,
    ...(protocolHeader ? { protocol: String(protocolHeader[1]) } : {}),
  };
}
