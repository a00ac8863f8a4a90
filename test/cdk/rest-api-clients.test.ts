/**
 * What the deployed REST API does for real clients before any function runs: every body binary (so
 * gzip arrives intact and ingest checks UTF-8 itself), an uncached authorizer that names the usage
 * identifier, per-key usage-plan throttling with a 429 browsers can read, CORS preflights, and access
 * logs that never hold a key (header or query string).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../lib/stacks/pipeline-settings.js';
import { pipeline } from './pipeline.js';

const { template } = pipeline();

describe('REST API for clients', () => {
  it('takes every body as binary and the usage identifier from an uncached request authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
      ApiKeySourceType: 'AUTHORIZER',
    });
    const authorizers = Object.values(template.findResources('AWS::ApiGateway::Authorizer'));
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]?.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    // No identity source: a key comes in the header or, from a beacon, in the query string.
    expect(authorizers[0]?.Properties.IdentitySource).toBeUndefined();
  });

  it('requires the key on the ingest method and throttles keys by a default usage plan', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'CUSTOM',
      ApiKeyRequired: true,
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: DEFAULT_SETTINGS.keyRateLimit, BurstLimit: DEFAULT_SETTINGS.keyBurstLimit },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
  });

  it('runs the authorizer and its usage plans on every data route, reads included: only the health check is open', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(
      (method) =>
        method.Properties as { HttpMethod: string; AuthorizationType: string; ApiKeyRequired?: boolean },
    );
    const data = methods.filter((method) => method.HttpMethod !== 'OPTIONS');
    const open = data.filter((method) => method.AuthorizationType === 'NONE');
    // The health check: one GET, no data.
    expect(open).toEqual([expect.objectContaining({ HttpMethod: 'GET' })]);
    const keyed = data.filter((method) => method.AuthorizationType === 'CUSTOM');
    expect(keyed.length).toBe(data.length - 1);
    expect(keyed.every((method) => method.ApiKeyRequired === true)).toBe(true);
    expect(keyed.filter((method) => method.HttpMethod === 'GET').length).toBeGreaterThanOrEqual(4);
  });

  it('answers 429 with Retry-After, the X-RateLimit headers and CORS, so a page can read it', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
      // API Gateway throttles for the stage's limit with the same response: the message names both.
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp("this API key's rate limit .* or the API's overall limit"),
      },
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Retry-After': "'1'",
        'gatewayresponse.header.X-RateLimit-Limit': 'context.authorizer.rateLimit',
        'gatewayresponse.header.X-RateLimit-Remaining': "'0'",
        'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '401',
    });
    // A key revoked a moment ago: the authorizer's cache still allows it, API Gateway has no API key
    // for it any more. The same 401 a client gets once the cache forgets it, not a bare 403 "Forbidden".
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INVALID_API_KEY',
      StatusCode: '401',
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp(
          'unknown or revoked API key: send a key in the x-api-key header',
        ),
      },
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" }),
    });
    // A denied key, and every other 4xx and 5xx API Gateway answers itself (the defaults), carry CORS.
    for (const type of ['ACCESS_DENIED', 'DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" }),
      });
    }
  });

  it('answers 503 with Retry-After and CORS when the authorizer fails: the key could not be checked, nothing was done', () => {
    // The authorizer throws only when the key store fails, or times out waiting for it. API Gateway's
    // own answer would be a bare 500, which a client need not retry.
    for (const type of ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: '503',
        ResponseTemplates: {
          'application/json': Match.stringLikeRegexp('the API key could not be checked'),
        },
        ResponseParameters: Match.objectLike({
          'gatewayresponse.header.Retry-After': "'1'",
          'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
        }),
      });
    }
  });

  it('answers CORS preflights without a key or a function', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      AuthorizationType: 'NONE',
      Integration: Match.objectLike({ Type: 'MOCK' }),
    });
  });

  it('never logs a key: access logs hold no header or query string, execution logs no data', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    const format = String(stage?.Properties.AccessLogSetting.Format);
    expect(format).toContain('$context.requestId');
    expect(format).not.toMatch(/querystring|apiKey|api_key|\$input|\$context\.path|header/i);
    expect(stage?.Properties.MethodSettings).toEqual([
      expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false }),
    ]);
  });
});
