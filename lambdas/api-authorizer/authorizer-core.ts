/**
 * The REST API's authorizer (a Lambda REQUEST authorizer): finds the request's key, in the `x-api-key`
 * header or the `key` query parameter, and answers with an IAM policy. An allowed caller gets its
 * account, scope and limits as the context the function behind reads, and its usage identifier: the
 * key's hash, which is the value of the key's API Gateway API key, so the usage plan the key is in
 * throttles it (docs/decisions.md, "Per-key rate limits").
 *
 * A missing, unknown or revoked key is denied, never thrown: a throw counts as a function error, and
 * every scanner on the internet would page whoever watches the error alarm. API Gateway answers a
 * deny with the ACCESS_DENIED gateway response, which the API configures as a 401.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { ApiKeyLookup } from '../shared/api-keys.js';
import { hashApiKey } from '../shared/api-keys.js';
import { callerContext, requestApiKey } from '../shared/caller.js';
import type { RateLimits } from '../shared/config.js';
import type { Log } from '../shared/logger.js';

export interface AuthorizerRequest {
  headers: Record<string, string | undefined> | null;
  query: Record<string, string | undefined> | null;
  /** `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{method}/{path}` of the request. */
  methodArn: string;
}

export interface AuthorizerDeps {
  lookupApiKey: ApiKeyLookup;
  defaultLimits: RateLimits;
  log: Log;
}

/** The principal of a denied request (API Gateway requires one). */
const ANONYMOUS = 'anonymous';

/** Allows a request with a known key, denies any other; throws only when the key store fails. */
export async function authorizeRequest(
  request: AuthorizerRequest,
  deps: AuthorizerDeps,
): Promise<APIGatewayAuthorizerResult> {
  const key = requestApiKey(request.headers, request.query);
  const record = key === undefined ? undefined : await deps.lookupApiKey(key);
  if (key === undefined || record === undefined) {
    deps.log.info('request denied', { reason: key === undefined ? 'missing key' : 'unknown key' });
    return policy(ANONYMOUS, 'Deny', request.methodArn);
  }
  const context = callerContext(record, deps.defaultLimits);
  return {
    ...policy(context.keyId, 'Allow', request.methodArn),
    context: { ...context },
    usageIdentifierKey: hashApiKey(key),
  };
}

function policy(principalId: string, effect: 'Allow' | 'Deny', resource: string): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
  };
}
