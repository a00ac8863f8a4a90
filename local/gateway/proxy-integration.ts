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

/**
 * Whether API Gateway hands a body over base64-encoded: its `Content-Type` (API Gateway takes a missing
 * one as `application/json`) matches one of the API's binary media types, where `*` stands for any
 * type or subtype (`*\/*` makes every body binary). Otherwise the body arrives as text.
 */
export function isBinaryMediaType(
  contentType: string | undefined,
  binaryMediaTypes: readonly string[],
): boolean {
  const type = (contentType?.split(';')[0] ?? '').trim().toLowerCase() || 'application/json';
  const [major = '', minor = ''] = type.split('/');
  return binaryMediaTypes.some((pattern) => {
    const [patternMajor = '', patternMinor = ''] = pattern.toLowerCase().split('/');
    return (
      (patternMajor === '*' || patternMajor === major) && (patternMinor === '*' || patternMinor === minor)
    );
  });
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
  binaryMediaTypes: readonly string[];
}

/** The v1 (REST) proxy event, shaped like `APIGatewayProxyEvent` from @types/aws-lambda. */
export function proxyEvent(input: ProxyEventInput) {
  const { request, url, path, body, requestId, route, stage, apiId } = input;
  const now = new Date();
  const { headers, multiValueHeaders } = headerMaps(request);
  const binary = isBinaryMediaType(request.headers['content-type'], input.binaryMediaTypes);
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
      // The authorizer's context and principal, set by the gateway on routes that need a key.
      authorizer: null as Record<string, string | number> | null,
      identity: {
        accessKey: null,
        accountId: null,
        // The usage identifier of the key's usage plan, on routes that need a key.
        apiKey: null as string | null,
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
