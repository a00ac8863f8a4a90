/**
 * The API authorizer: the key from `x-api-key` or `?key=` (a beacon cannot set headers), the caller
 * and its limits handed to API Gateway, the key's hash as the usage identifier (never the key), and a
 * deny without a key or for an unknown one. Without a key, a live token stands for the read key that
 * started its session: same caller, same usage identifier; refused once that key is revoked.
 */
import { describe, expect, it } from 'vitest';
import { authorizeRequest } from '../../../lambdas/api-authorizer/authorizer-core.js';
import { type ApiKeyRecord, hashApiKey } from '../../../lambdas/shared/api-keys.js';
import type { LiveGrant } from '../../../lambdas/shared/live-tokens.js';
import type { Log } from '../../../lambdas/shared/logger.js';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:api123/prod/POST/v1/events';
const KEYS: Record<string, ApiKeyRecord> = {
  wk_shop: { accountId: 'acct_shop', scope: 'write', keyId: 'key_1' },
  wk_limited: {
    accountId: 'acct_b',
    scope: 'write',
    keyId: 'key_2',
    rateLimit: 1,
    burstLimit: 3,
    eventRateLimit: 20,
    eventBurstLimit: 600,
  },
  rk_shop: { accountId: 'acct_shop', scope: 'read', keyId: 'key_3', rateLimit: 5, burstLimit: 10 },
};
const SESSION = { expiresAt: 2_000_000_000, sessionExpiresAt: 2_000_000_000 };
/** Live tokens and the grants they carry: of a live key, of a revoked key, and from before keys were named. */
const TOKENS: Record<string, LiveGrant> = {
  lt_shop: { accountId: 'acct_shop', keyHash: hashApiKey('rk_shop'), ...SESSION },
  lt_revoked: { accountId: 'acct_shop', keyHash: hashApiKey('rk_revoked'), ...SESSION },
  lt_legacy: { accountId: 'acct_shop', ...SESSION },
};
const KEYS_BY_HASH = new Map(Object.entries(KEYS).map(([key, record]) => [hashApiKey(key), record]));

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
      lookupKeyHash: async (keyHash: string) => KEYS_BY_HASH.get(keyHash),
      verifyLiveToken: async (token: string) => TOKENS[token],
      defaultLimits: { rateLimit: 50, burstLimit: 100, eventRateLimit: 500, eventBurstLimit: 1000 },
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
      context: {
        accountId: 'acct_shop',
        scope: 'write',
        credential: 'api-key',
        keyId: 'key_1',
        rateLimit: 50,
        burstLimit: 100,
        eventRateLimit: 500,
        eventBurstLimit: 1000,
      },
      usageIdentifierKey: hashApiKey('wk_shop'),
    });
  });

  it("takes the key from ?key= (sendBeacon) with the key's own limits", async () => {
    const { deps: d } = deps();

    const result = await authorizeRequest(
      { headers: {}, query: { key: 'wk_limited' }, methodArn: METHOD_ARN },
      d,
    );

    expect(result.context).toMatchObject({
      accountId: 'acct_b',
      rateLimit: 1,
      burstLimit: 3,
      eventRateLimit: 20,
      eventBurstLimit: 600,
    });
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

  it('takes a live token, without a key, for its read key: the same caller, limits and usage identifier, named as a token', async () => {
    const { deps: d } = deps();

    const byToken = await authorizeRequest(
      { headers: { 'X-Live-Token': 'lt_shop' }, query: null, methodArn: METHOD_ARN },
      d,
    );
    const byKey = await authorizeRequest(
      { headers: { 'x-api-key': 'rk_shop' }, query: null, methodArn: METHOD_ARN },
      d,
    );

    expect(byToken).toEqual({ ...byKey, context: { ...byKey.context, credential: 'live-token' } });
    expect(byKey.context?.credential).toBe('api-key');
    expect(byToken.usageIdentifierKey).toBe(hashApiKey('rk_shop'));
    expect(byToken.context).toMatchObject({
      accountId: 'acct_shop',
      scope: 'read',
      rateLimit: 5,
      burstLimit: 10,
    });
  });

  it('denies an unknown token, a token whose read key is revoked and one that names no key; a key decides over a token', async () => {
    const { deps: d, log } = deps();
    const denied = async (headers: Record<string, string>) =>
      (await authorizeRequest({ headers, query: null, methodArn: METHOD_ARN }, d)).policyDocument.Statement;

    const refused = await Promise.all(
      ['lt_guess', 'lt_revoked', 'lt_legacy'].map((token) => denied({ 'x-live-token': token })),
    );
    const keyFirst = await denied({ 'x-api-key': 'wk_guess', 'x-live-token': 'lt_shop' });

    for (const statement of [...refused, keyFirst]) {
      expect(statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: METHOD_ARN }]);
    }
    expect(log.text()).toContain('unknown or expired live token');
    expect(log.text()).toContain('revoked');
    expect(log.text()).toContain('without its read key');
    expect(log.text()).not.toContain('lt_');
  });
});
