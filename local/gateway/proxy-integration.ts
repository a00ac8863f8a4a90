/**
 * The Lambda proxy integration of the local REST API, both ways: the v1 proxy event built from a request
 * (`APIGatewayProxyEvent`), and the function's proxy result checked and mapped back to a response, as
 * API Gateway does. Pure: no server here.
 *
 * Reference: "Set up Lambda proxy integrations in API Gateway" (input and output formats).
 */
import type { IncomingMessage } from 'node:http';
import type { RestRoute } from '../../lib/topology.js';
import { LOCAL_ACCOUNT_ID } from '../local-aws.js';
import { headerMaps, newExtendedRequestId, queryMaps, requestTime, sourceIp } from './http-event.js';

/** Content types API Gateway passes as text; anything else arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded'
  );
}

export interface ProxyEventInput {
  request: IncomingMessage;
  url: URL;
  path: string;
  body: Buffer;
  requestId: string;
  route: RestRoute;
  pathParameters: Record<string, string>;
  stage: string;
  apiId: string;
  host: string;
}

/** The v1 (REST) proxy event, shaped like `APIGatewayProxyEvent` from @types/aws-lambda. */
export function proxyEvent(input: ProxyEventInput) {
  const { request, url, path, body, requestId, route, stage, apiId } = input;
  const now = new Date();
  const { headers, multiValueHeaders } = headerMaps(request);
  const binary = !isTextContentType(request.headers['content-type']);
  return {
    resource: route.path,
    path,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    ...queryMaps(url.searchParams),
    pathParameters: Object.keys(input.pathParameters).length > 0 ? input.pathParameters : null,
    stageVariables: null,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId,
      resourceId: route.path,
      resourcePath: route.path,
      httpMethod: route.method,
      path: `/${stage}${path}`,
      stage,
      protocol: `HTTP/${request.httpVersion}`,
      domainName: input.host,
      domainPrefix: input.host.split('.')[0] ?? input.host,
      requestId,
      extendedRequestId: newExtendedRequestId(),
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      authorizer: null,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: sourceIp(request),
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: body.length > 0 && binary,
  };
}

export type MappedResult =
  | { statusCode: number; headers: Record<string, string[]>; body: Buffer }
  | { malformed: string };

/**
 * Validates and maps a proxy result. API Gateway merges `headers` and `multiValueHeaders`, and where
 * both name a header only the multi-value list is kept; a body that is not a string is malformed.
 */
export function mapProxyResult(payload: unknown): MappedResult {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { malformed: 'the result is not an object' };
  }
  const result = payload as Record<string, unknown>;
  const statusCode = typeof result.statusCode === 'string' ? Number(result.statusCode) : result.statusCode;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return { malformed: `statusCode ${JSON.stringify(result.statusCode)} is not an HTTP status` };
  }
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') {
    return { malformed: 'body is not a string' };
  }
  const headers: Record<string, string[]> = {};
  if (result.headers !== undefined && result.headers !== null) {
    if (typeof result.headers !== 'object') return { malformed: 'headers is not an object' };
    for (const [name, value] of Object.entries(result.headers)) headers[name.toLowerCase()] = [String(value)];
  }
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null) {
    if (typeof result.multiValueHeaders !== 'object')
      return { malformed: 'multiValueHeaders is not an object' };
    for (const [name, values] of Object.entries(result.multiValueHeaders)) {
      if (!Array.isArray(values)) return { malformed: `multiValueHeaders.${name} is not a list` };
      headers[name.toLowerCase()] = values.map(String);
    }
  }
  const text = (result.body as string | null | undefined) ?? '';
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode, headers, body };
}

export function hasHeader(headers: Record<string, string[]>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}
