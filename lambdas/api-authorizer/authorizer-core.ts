/**
 * The REST API's authorizer (a Lambda REQUEST authorizer): finds the request's key, in the `x-api-key`
 * header or the `key` query parameter, and answers with an IAM policy. An allowed caller gets its
 * account, scope and limits as the context the function behind reads, and its usage identifier: the
 * key's hash, which is the value of the key's API Gateway API key, so the usage plan the key is in
 * throttles it (docs/decisions.md, "Per-key rate limits").
 *
 * Without a key, a live token (`x-live-token`, what the dashboard reads with) stands for the read key
 * that started its session: the same context and usage identifier, so a key and its tokens share one
 * limit, and a token of a revoked key is refused. The context says which it was (`credential`): what the
 * caller may do (scope, account, posting events only with a key) is still the function's to decide.
 *
 * A missing, unknown or revoked key is denied, never thrown: a throw counts as a function error, and
 * every scanner on the internet would page whoever watches the error alarm. API Gateway answers a
 * deny with the ACCESS_DENIED gateway response, which the API configures as a 401.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { ApiKeyLookup, ApiKeyRecord, KeyHashLookup } from '../shared/api-keys.js';
import { hashApiKey } from '../shared/api-keys.js';
import { type CallerCredential, callerContext, requestApiKey } from '../shared/caller.js';
import type { KeyLimits } from '../shared/config.js';
import { headerValue } from '../shared/http.js';
import { LIVE_TOKEN_HEADER, type LiveGrant, readKeyOfToken } from '../shared/live-tokens.js';
import type { Log } from '../shared/logger.js';

export interface AuthorizerRequest {
  headers: Record<string, string | undefined> | null;
  query: Record<string, string | undefined> | null;
  /** `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{method}/{path}` of the request. */
  methodArn: string;
}

export interface AuthorizerDeps {
  lookupApiKey: ApiKeyLookup;
  lookupKeyHash: KeyHashLookup;
  /** The grant of a live token, or `undefined` when it is malformed, unknown or expired. */
  verifyLiveToken: (token: string) => Promise<LiveGrant | undefined>;
  defaultLimits: KeyLimits;
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
  const caller =
    key !== undefined
      ? await keyCaller(key, deps)
      : await tokenCaller(headerValue(request.headers, LIVE_TOKEN_HEADER), deps);
  if ('denied' in caller) {
    deps.log.info('request denied', { reason: caller.denied });
    return policy(ANONYMOUS, 'Deny', request.methodArn);
  }
  const context = callerContext(caller.record, deps.defaultLimits, caller.credential);
  return {
    ...policy(context.keyId, 'Allow', request.methodArn),
    context: { ...context },
    usageIdentifierKey: caller.keyHash,
  };
}

type Caller = { record: ApiKeyRecord; keyHash: string; credential: CallerCredential } | { denied: string };

async function keyCaller(key: string, deps: AuthorizerDeps): Promise<Caller> {
  const record = await deps.lookupApiKey(key);
  return record ? { record, keyHash: hashApiKey(key), credential: 'api-key' } : { denied: 'unknown key' };
}

async function tokenCaller(token: string | undefined, deps: AuthorizerDeps): Promise<Caller> {
  if (token === undefined || token === '') return { denied: 'missing key' };
  // A token without its key (issued before sessions named it) has no plan to be throttled by.
  const found = await readKeyOfToken(token, deps.verifyLiveToken, deps.lookupKeyHash);
  return 'denied' in found
    ? found
    : { record: found.key, keyHash: found.grant.keyHash, credential: 'live-token' };
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
