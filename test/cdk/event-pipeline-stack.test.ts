/**
 * What the stack builds beyond the design rules (test/cdk/rules): routes, the search domain, settings
 * and how they reach the template. Reads the template the project's global setup synthesized.
 */
import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV, TUNING_ENV } from '../../lambdas/shared/env-names.js';
import { DEFAULT_SETTINGS, ON_DEMAND, settingsFromContext } from '../../lib/stacks/pipeline-settings.js';
import {
  API_STAGE,
  FUNCTIONS,
  type FunctionId,
  OPENSEARCH,
  REST_ROUTES,
  TIMESTAMP_BOUND_FUNCTIONS,
} from '../../lib/topology.js';
import { pipeline } from './pipeline.js';
import { OVERRIDDEN_SETTINGS, synthPipeline } from './synth.js';

const { template, ids } = pipeline();
const overridden = pipeline('overridden');
const fnId = (id: FunctionId) => ids.functions[id].function;

/** Logical id of the API Gateway resource at `path` (e.g. `/v1/accounts/{accountId}/events`). */
function resourceIdOf(path: string): string {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (id: string): string => {
    const { PathPart, ParentId } = resources[id]?.Properties ?? {};
    const parent = ParentId?.Ref as string | undefined;
    return `${parent && resources[parent] ? pathOf(parent) : ''}/${PathPart}`;
  };
  const matches = Object.keys(resources).filter((id) => pathOf(id) === path);
  expect(matches, path).toHaveLength(1);
  return matches[0] as string;
}

function environmentOf(id: FunctionId): Record<string, unknown> {
  const fn = template.findResources('AWS::Lambda::Function')[fnId(id)];
  return fn?.Properties.Environment.Variables ?? {};
}

describe('functions', () => {
  it.each(Object.keys(FUNCTIONS) as FunctionId[])(
    '%s gets a generated name, source-mapped stack traces and its service name in logs',
    (id) => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Description: FUNCTIONS[id].description,
        Environment: {
          Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: id }),
        },
      });
    },
  );

  it('points the indexer at the domain over HTTPS, signed with SigV4, with the index prefix', () => {
    const env = environmentOf('indexer');
    expect(env[ENV.opensearchEndpoint]).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [ids.domain, 'DomainEndpoint'] }]],
    });
    expect(env[ENV.opensearchAuth]).toBe('sigv4');
    expect(env[ENV.eventsIndexPrefix]).toBe(OPENSEARCH.eventsIndexPrefix);
  });
});

describe('search domain', () => {
  it('runs OpenSearch 2.19 encrypted at rest and between nodes, HTTPS-only with TLS 1.2', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EngineVersion: `OpenSearch_${OPENSEARCH.engineVersion}`,
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
      AccessPolicies: Match.absent(),
      ClusterConfig: Match.objectLike({
        InstanceType: DEFAULT_SETTINGS.opensearchInstanceType,
        InstanceCount: 1,
        ZoneAwarenessEnabled: false,
      }),
      LogPublishingOptions: Match.objectLike({
        SEARCH_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        INDEX_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        ES_APPLICATION_LOGS: Match.objectLike({ Enabled: true }),
      }),
    });
  });

  it('is sized for production when asked', () => {
    overridden.template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        InstanceType: OVERRIDDEN_SETTINGS.opensearchInstanceType,
        InstanceCount: 2,
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
        DedicatedMasterEnabled: true,
        DedicatedMasterCount: 3,
      }),
    });
  });

  it('is created only after OpenSearch may write to its log groups', () => {
    const policies = Object.keys(template.findResources('AWS::Logs::ResourcePolicy'));
    expect(policies).toHaveLength(1);
    const domain = template.findResources('AWS::OpenSearchService::Domain')[ids.domain];
    expect(domain?.DependsOn).toContain(policies[0]);
    // The document is an Fn::Join (it names the log group ARNs), so it is checked as rendered text.
    const document = JSON.stringify(
      template.findResources('AWS::Logs::ResourcePolicy')[policies[0] ?? '']?.Properties.PolicyDocument,
    );
    expect(document).toContain('{\\"Service\\":\\"es.amazonaws.com\\"}');
    expect(document).toContain('[\\"logs:CreateLogStream\\",\\"logs:PutLogEvents\\"]');
  });
});

describe('event stream capacity', () => {
  it('has the shards the settings ask for, one by default', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 1 });
    overridden.template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: OVERRIDDEN_SETTINGS.streamShards,
    });
  });

  it('leaves the shards to Kinesis for an on-demand stream, and nothing else changes', () => {
    const onDemand = synthPipeline({ streamShards: ON_DEMAND }, { checkCycles: false }).template;
    const [stream] = Object.values(onDemand.findResources('AWS::Kinesis::Stream'));
    expect(stream?.Properties.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(stream?.Properties.ShardCount).toBeUndefined();
    // The consumers read it as they read a provisioned stream.
    const mappings = (template: Template) =>
      Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings(onDemand)).toEqual(mappings(template));
  });
});

describe('data retention', () => {
  it('retains stateful resources by default and can be told not to', () => {
    const stateful = [
      'AWS::DynamoDB::Table',
      'AWS::Kinesis::Stream',
      'AWS::SQS::Queue',
      'AWS::OpenSearchService::Domain',
      'AWS::KMS::Key',
    ];
    for (const type of stateful) {
      // Kept on stack deletion and on replacement, but removed by the rollback of the deployment that
      // created them: a failed first deploy must not leave a domain and a stream billing, unused.
      template.allResources(type, { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
      overridden.template.allResources(type, { DeletionPolicy: 'Delete' });
    }
  });

  it('keeps function logs for the configured retention', () => {
    for (const [variant, days] of [
      [pipeline(), DEFAULT_SETTINGS.logRetentionDays],
      [overridden, OVERRIDDEN_SETTINGS.logRetentionDays],
    ] as const) {
      const groups = variant.template.findResources('AWS::Logs::LogGroup');
      for (const fn of Object.values(variant.ids.functions)) {
        expect(groups[fn.logGroup]?.Properties.RetentionInDays).toBe(days);
      }
    }
  });
});

describe('timestamp bounds', () => {
  it('gives every function that checks timestamps the same configured bounds, so none dead-letters what ingest admitted', () => {
    const functions = overridden.template.findResources('AWS::Lambda::Function');
    for (const id of TIMESTAMP_BOUND_FUNCTIONS) {
      const env = functions[overridden.ids.functions[id].function]?.Properties.Environment.Variables;
      expect(env?.[TUNING_ENV.eventMaxPastSeconds], id).toBe(String(OVERRIDDEN_SETTINGS.eventMaxPastSeconds));
      expect(env?.[TUNING_ENV.eventMaxFutureSeconds], id).toBe(
        String(OVERRIDDEN_SETTINGS.eventMaxFutureSeconds),
      );
    }
  });
});

describe('REST API', () => {
  it('serves the stage with access logs, error-level execution logs and throttling, without X-Ray', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: API_STAGE,
      TracingEnabled: false,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: DEFAULT_SETTINGS.apiRateLimit,
          ThrottlingBurstLimit: DEFAULT_SETTINGS.apiBurstLimit,
        }),
      ],
    });
  });

  it.each(REST_ROUTES.map((route) => [route.method, route.path, route.functionId] as const))(
    'routes %s %s to %s through a Lambda proxy integration',
    (method, path, id) => {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: method,
        ResourceId: { Ref: resourceIdOf(path) },
        RequestValidatorId: Match.anyValue(),
        Integration: Match.objectLike({
          Type: 'AWS_PROXY',
          Uri: Match.objectLike({
            'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [fnId(id), 'Arn'] }])],
          }),
        }),
      });
    },
  );

  it('requires the account id path parameter of the summary route', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: { 'method.request.path.accountId': true },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true });
  });
});

describe('WebSocket API', () => {
  it.each([
    ['$connect', 'ws-connect'],
    ['$disconnect', 'ws-disconnect'],
    ['$default', 'ws-default'],
  ] as const)('routes %s to %s', (routeKey, id) => {
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration', {
      Properties: { IntegrationType: 'AWS_PROXY' },
    });
    const integrationId = Object.entries(integrations).find(([, integration]) =>
      JSON.stringify(integration.Properties.IntegrationUri).includes(`"${fnId(id)}"`),
    )?.[0];
    expect(integrationId, `integration for ${id}`).toBeDefined();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
  });

  it('deploys the stage with access logs and throttling', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: API_STAGE,
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_SETTINGS.apiRateLimit,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.apiBurstLimit,
      },
    });
  });

  it.each(['ws-connect', 'ws-default', 'ws-broadcast'] as const)(
    'gives %s the @connections endpoint of the stage',
    (id) => {
      expect(JSON.stringify(environmentOf(id)[ENV.websocketManagementEndpoint])).toMatch(
        new RegExp(`execute-api.*/${API_STAGE}`),
      );
    },
  );
});

describe('alarm notifications', () => {
  it('encrypts the alarm topic with a customer key CloudWatch may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('emails alarms only when alarmEmail is set', () => {
    overridden.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: OVERRIDDEN_SETTINGS.alarmEmail,
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('settings from context', () => {
  it('uses dev-sized defaults without context', () => {
    expect(settingsFromContext(new App().node)).toEqual(DEFAULT_SETTINGS);
  });

  it('parses command-line strings into numbers and booleans', () => {
    const app = new App({
      context: {
        opensearchDataNodes: '2',
        opensearchMultiAz: 'true',
        opensearchInstanceType: 'r6g.large.search',
      },
    });
    expect(settingsFromContext(app.node)).toMatchObject({
      opensearchDataNodes: 2,
      opensearchMultiAz: true,
      opensearchInstanceType: 'r6g.large.search',
    });
  });

  it('rejects values that do not parse, rather than deploying something else', () => {
    expect(() => settingsFromContext(new App({ context: { opensearchDataNodes: 'two' } }).node)).toThrow(
      /opensearchDataNodes/,
    );
    expect(() => settingsFromContext(new App({ context: { retainData: 'yes' } }).node)).toThrow(/retainData/);
    // Rejected before any resource is built, so this costs no synthesis.
    expect(() => synthPipeline({ logRetentionDays: 10 })).toThrow(/logRetentionDays/);
  });
});
