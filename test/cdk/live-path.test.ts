/**
 * Issue 9 on the synthesized template: live tokens are issued by the stats API and checked by
 * `$connect`, which no longer takes API keys (it only reads the keys table, to refuse a token whose read
 * key is revoked); the dashboard page is a private bucket behind CloudFront
 * with origin access control, HTTPS, its security headers and the REST API under `/v1/*` (never cached),
 * and its `config.json` names the WebSocket API of the same deployment.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ASSETS_DIR } from '../../dashboard/hosting.js';
import { LIVE_TOKENS_ROUTE } from '../../lambdas/stats/routes.js';
import { CONNECTING_SECONDS } from '../../lambdas/ws-broadcast/connections.js';
import { STACK_OUTPUTS } from '../../lib/stack-outputs.js';
import { actionsOn, roleStatements } from './iam.js';
import { pipeline } from './pipeline.js';

const { template, ids } = pipeline();
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

describe('live connections', () => {
  it('are spared by the broadcaster on a 410 for as long as their $connect may run', () => {
    // A connection answers 410 until its handshake is done; forgetting it then leaves it without events.
    const timeout = resources[ids.functions['ws-connect'].function]?.Properties.Timeout;
    expect(timeout).toBeTypeOf('number');
    expect(timeout as number).toBeLessThanOrEqual(CONNECTING_SECONDS);
  });
});

describe('live tokens', () => {
  it('are issued by the stats API, which may read and write them, and only read by $connect', () => {
    const tokens = ids.tables.liveTokens;
    const actions = (id: 'stats-api' | 'ws-connect') =>
      actionsOn(roleStatements(template, ids.functions[id].role), tokens);
    expect(actions('stats-api')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
    expect(actions('ws-connect')).toContain('dynamodb:GetItem');
    expect(actions('ws-connect').filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
  });

  it("replace API keys on $connect, which only reads the keys table (a token's read key may be revoked)", () => {
    const actions = actionsOn(roleStatements(template, ids.functions['ws-connect'].role), ids.tables.apiKeys);
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
  });

  it('are minted by POST /v1/live-tokens on the stats function', () => {
    const resource = ofType('AWS::ApiGateway::Resource').find(
      ([, candidate]) => candidate.Properties.PathPart === LIVE_TOKENS_ROUTE.split('/').pop(),
    );
    expect(resource).toBeDefined();
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      ResourceId: { Ref: resource?.[0] },
      Integration: Match.objectLike({
        Uri: Match.objectLike({
          'Fn::Join': Match.arrayWith([
            Match.arrayWith([{ 'Fn::GetAtt': [ids.functions['stats-api'].function, 'Arn'] }]),
          ]),
        }),
      }),
    });
  });
});

describe('the dashboard site', () => {
  it('is a private, encrypted bucket that only CloudFront reads, through origin access control', () => {
    const bucketId = ids.dashboard.bucket;
    expect(resources[bucketId]?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    const policy = JSON.stringify(
      ofType('AWS::S3::BucketPolicy').find(([, candidate]) =>
        JSON.stringify(candidate.Properties.Bucket).includes(bucketId),
      )?.[1],
    );
    expect(policy).toContain('cloudfront.amazonaws.com');
    expect(policy).toContain('"aws:SecureTransport":"false"');
  });

  it('serves the page over HTTPS with its security headers, and the REST API under /v1/* uncached', () => {
    const distribution = ofType('AWS::CloudFront::Distribution')[0]?.[1];
    // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON.
    const config = distribution?.Properties.DistributionConfig as Record<string, any>;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toBeDefined();
    const api = config.CacheBehaviors.find(
      (behavior: { PathPattern: string }) => behavior.PathPattern === '/v1/*',
    );
    // Managed policies: CachingDisabled, and AllViewerExceptHostHeader (API Gateway routes on its own Host).
    expect(api).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      AllowedMethods: expect.arrayContaining(['POST', 'GET']),
    });
    const headers = JSON.stringify(ofType('AWS::CloudFront::ResponseHeadersPolicy')[0]?.[1].Properties);
    expect(headers).toContain("connect-src 'self' wss://");
    expect(headers).toContain("frame-ancestors 'none'");
    expect(headers).toContain('"FrameOption":"DENY"');
  });

  it('tells browsers to revalidate the page each time and to keep its hashed assets for good', () => {
    // The bucket's files carry no Cache-Control: without one, a browser would keep an index.html naming
    // assets that a later deploy pruned from the bucket.
    const distribution = ofType('AWS::CloudFront::Distribution')[0]?.[1];
    // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON.
    const config = distribution?.Properties.DistributionConfig as Record<string, any>;
    const assets = config.CacheBehaviors.find(
      (behavior: { PathPattern: string }) => behavior.PathPattern === `/${ASSETS_DIR}/*`,
    );
    const policyOf = (behavior: { ResponseHeadersPolicyId: { Ref: string } }) =>
      resources[behavior.ResponseHeadersPolicyId.Ref]?.Properties.ResponseHeadersPolicyConfig as {
        CustomHeadersConfig: { Items: { Header: string; Value: string; Override: boolean }[] };
        SecurityHeadersConfig: unknown;
      };
    const cacheControl = (behavior: { ResponseHeadersPolicyId: { Ref: string } }) =>
      policyOf(behavior).CustomHeadersConfig.Items.filter((header) => header.Header === 'Cache-Control');

    expect(cacheControl(config.DefaultCacheBehavior)).toEqual([
      { Header: 'Cache-Control', Value: 'no-cache', Override: true },
    ]);
    expect(assets?.TargetOriginId).toBe(config.DefaultCacheBehavior.TargetOriginId);
    expect(cacheControl(assets)).toEqual([
      {
        Header: 'Cache-Control',
        Value: expect.stringMatching(/max-age=31536000, immutable$/),
        Override: true,
      },
    ]);
    for (const behavior of [config.DefaultCacheBehavior, assets]) {
      // A token in it (the WebSocket URL), so a Fn::Join: read as JSON.
      expect(JSON.stringify(policyOf(behavior).SecurityHeadersConfig)).toContain("script-src 'self'");
    }
  });

  it("deploys the page with a config.json naming this stage's WebSocket API, and outputs its URL", () => {
    const deployment = ofType('Custom::CDKBucketDeployment')[0]?.[1];
    const sources = JSON.stringify(deployment?.Properties);
    expect(deployment?.Properties.DistributionPaths).toEqual(['/*']);
    expect(sources).toContain(ids.webSocketApi);
    expect(template.toJSON().Outputs[STACK_OUTPUTS.dashboardUrl].Value).toBeDefined();
  });
});
