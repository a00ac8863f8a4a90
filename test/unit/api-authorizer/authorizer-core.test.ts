/**
 * The API authorizer: the key from `x-api-key` or `?key=` (a beacon cannot set headers), the caller
 * and its limits handed to API Gateway, the key's hash as the usage identifier (never the key), and a
 * deny without a key or for an unknown one.
 */
import { describe, expect, it } from 'vitest';
import { authorizeRequest } from '../../../lambdas/api-authorizer/authorizer-core.js';
import { type ApiKeyRecord, hashApiKey } from '../../../lambdas/shared/api-keys.js';
import type { Log } from '../../../lambdas/shared/logger.js';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:api123/prod/POST/v1/events';
const KEYS: Record<string, ApiKeyRecord> = {
  wk_shop: { accountId: 'acct_shop', scope: 'write', keyId: 'key_1' },
  wk_limited: { accountId: 'acct_b', scope: 'write', keyId: 'key_2', rateLimit: 1, burstLimit: 3 },
};

/** The authorizer's dependencies, with a log that keeps what it was told. */
function deps() {
  const lines: string[] = [];
  const record = (message: string, fields?: unknown) =>
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  const log = { debug: record, info: record, warn: record, error: record } as unknown as Log;
  return {
    log: { text: () => lines.join('\n') },
    deps: {
      lookupApiKey: async (key: string) => KEYS[key],
      defaultLimits: { rateLimit: 50, burstLimit: 100 },
      log,
    },
  };
}

describe('API authorizer', () => {
  it('allows a known key from the header with the caller, its default limits and the hash as usage identifier', async () => {
    const { deps: d } = deps();

    const result = await authorizeRequest(
      { headers: { 'X-Api-Key': 'wk_shop' }, query: null, methodArn: METHOD_ARN },
      d,
    );

    expect(result).toEqual({
      principalId: 'key_1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }],
      },
      context: { accountId: 'acct_shop', scope: 'write', keyId: 'key_1', rateLimit: 50, burstLimit: 100 },
      usageIdentifierKey: hashApiKey('wk_shop'),
    });
  });

  it("takes the key from ?key= (sendBeacon) with the key's own limits", async () => {
    const { deps: d } = deps();

    const result = await authorizeRequest(
      { headers: {}, query: { key: 'wk_limited' }, methodArn: METHOD_ARN },
      d,
    );

    expect(result.context).toMatchObject({ accountId: 'acct_b', rateLimit: 1, burstLimit: 3 });
    expect(result.usageIdentifierKey).toBe(hashApiKey('wk_limited'));
  });

  it("lets the header's key decide when the query names another, and reads the query behind an empty header", async () => {
    const { deps: d } = deps();

    const both = await authorizeRequest(
      { headers: { 'x-api-key': 'wk_shop' }, query: { key: 'wk_limited' }, methodArn: METHOD_ARN },
      d,
    );
    const emptyHeader = await authorizeRequest(
      { headers: { 'x-api-key': '' }, query: { key: 'wk_limited' }, methodArn: METHOD_ARN },
      d,
    );

    // The caller and the usage identifier (what throttles) are always the same key's.
    expect([both.context?.accountId, both.usageIdentifierKey]).toEqual(['acct_shop', hashApiKey('wk_shop')]);
    expect([emptyHeader.context?.accountId, emptyHeader.usageIdentifierKey]).toEqual([
      'acct_b',
      hashApiKey('wk_limited'),
    ]);
  });

  it('denies a request without a key or with an unknown one, logging why but never the key', async () => {
    const { deps: d, log } = deps();

    const missing = await authorizeRequest({ headers: {}, query: { key: '' }, methodArn: METHOD_ARN }, d);
    const unknown = await authorizeRequest(
      { headers: { 'x-api-key': 'wk_guess' }, query: null, methodArn: METHOD_ARN },
      d,
    );

    for (const result of [missing, unknown]) {
      expect(result.policyDocument.Statement).toEqual([
        { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: METHOD_ARN },
      ]);
      expect(result.usageIdentifierKey).toBeUndefined();
    }
    expect(log.text()).toContain('missing key');
    expect(log.text()).toContain('unknown key');
    expect(log.text()).not.toContain('wk_guess');
  });
});
