import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/env-names.js';
import { iteratorAgeThresholdMs } from '../../lib/constructs/pipeline-alarms.js';
import { DEFAULT_SETTINGS, settingsFromContext } from '../../lib/stacks/pipeline-settings.js';
import {
  API_STAGE,
  BINDING_ENV,
  FUNCTION_BINDINGS,
  FUNCTIONS,
  type FunctionId,
  OPENSEARCH,
  REST_ROUTES,
  STREAM_MAPPINGS,
  TABLES,
  type TableDefinition,
  type TableKey,
} from '../../lib/topology.js';
import { actionsOn, actionsOnAnyResource, allActions, logicalId, roleStatements } from './iam.js';
import { type SynthResult, synthPipeline } from './synth.js';

const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionId[];
const TABLE_KEYS = Object.keys(TABLES) as TableKey[];

let synth: SynthResult;
beforeAll(() => {
  synth = synthPipeline();
});

const fnId = (id: FunctionId) => logicalId(synth.stack, synth.stack.functions[id].function);
const roleId = (id: FunctionId) => logicalId(synth.stack, synth.stack.functions[id].role);
const tableId = (key: TableKey) => logicalId(synth.stack, synth.stack.tables[key]);
const streamId = () => logicalId(synth.stack, synth.stack.stream);
const queueId = () => logicalId(synth.stack, synth.stack.deadLetterQueue);
const domainId = () => logicalId(synth.stack, synth.stack.node.findChild('Search').node.findChild('Domain'));

/** Logical id of the API Gateway resource at `path` (e.g. `/v1/accounts/{accountId}/events`). */
function resourceIdOf(path: string): string {
  const resources = synth.template.findResources('AWS::ApiGateway::Resource');
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
  const fn = synth.template.findResources('AWS::Lambda::Function')[fnId(id)];
  return fn?.Properties.Environment.Variables ?? {};
}

describe('functions', () => {
  it.each(FUNCTION_IDS)('%s runs Node.js 22 on ARM64 with tracing, JSON logs and its own log group', (id) => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Description: FUNCTIONS[id].description,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: FUNCTIONS[id].memorySizeMb,
      Timeout: FUNCTIONS[id].timeoutSeconds,
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalId(synth.stack, synth.stack.functions[id].logGroup) },
      },
      Environment: {
        Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: id }),
      },
      Role: { 'Fn::GetAtt': [roleId(id), 'Arn'] },
    });
  });

  it('keeps function logs for the configured retention', () => {
    const groups = synth.template.findResources('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: DEFAULT_SETTINGS.logRetentionDays },
    });
    for (const id of FUNCTION_IDS) {
      expect(Object.keys(groups)).toContain(logicalId(synth.stack, synth.stack.functions[id].logGroup));
    }
  });

  it('creates no role with AWS-managed policies for the functions', () => {
    for (const id of FUNCTION_IDS) {
      synth.template.hasResourceProperties('AWS::IAM::Role', {
        Description: `Execution role of the ${id} function`,
        ManagedPolicyArns: Match.absent(),
      });
    }
  });
});

describe('event source mappings', () => {
  it('has exactly one mapping per STREAM_MAPPINGS entry', () => {
    synth.template.resourceCountIs('AWS::Lambda::EventSourceMapping', STREAM_MAPPINGS.length);
  });

  it.each(STREAM_MAPPINGS.map((m) => [m.functionId, m] as const))(
    '%s reads the stream with the topology settings, reporting item failures, failing over to the DLQ',
    (id, mapping) => {
      synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: fnId(id) },
        EventSourceArn: { 'Fn::GetAtt': [streamId(), 'Arn'] },
        BatchSize: mapping.batchSize,
        MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
        StartingPosition: mapping.startingPosition,
        MaximumRetryAttempts: mapping.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: mapping.maximumRecordAgeInSeconds,
        BisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
        ParallelizationFactor: mapping.parallelizationFactor,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId(), 'Arn'] } } },
      });
    },
  );

  it.each(STREAM_MAPPINGS.map((m) => m.functionId))('%s may read the stream and send to the DLQ', (id) => {
    const statements = roleStatements(synth.template, roleId(id));
    expect(actionsOn(statements, streamId())).toEqual(
      expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream']),
    );
    expect(actionsOn(statements, queueId())).toContain('sqs:SendMessage');
  });
});

describe('IAM: each function gets exactly its bindings', () => {
  const WRITE_ACTIONS = [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ];

  it('ingest can put records on the stream and read API keys, and nothing else', () => {
    const statements = roleStatements(synth.template, roleId('ingest'));
    expect(actionsOn(statements, streamId())).toEqual(expect.arrayContaining(['kinesis:PutRecords']));
    expect(actionsOn(statements, tableId('apiKeys'))).toContain('dynamodb:GetItem');
    expect(actionsOn(statements, tableId('apiKeys'))).not.toEqual(
      expect.arrayContaining(['dynamodb:PutItem']),
    );
    expect(actionsOn(statements, tableId('rollups'))).toEqual([]);
    expect(actionsOn(statements, tableId('connections'))).toEqual([]);
    expect(allActions(statements).filter((a) => a.startsWith('es:') || a.startsWith('sqs:'))).toEqual([]);
    expect(allActions(statements)).not.toContain('execute-api:ManageConnections');
  });

  it.each(FUNCTION_IDS)('%s gets table actions only on the tables it is bound to', (id) => {
    const statements = roleStatements(synth.template, roleId(id));
    for (const key of TABLE_KEYS) {
      const access = FUNCTION_BINDINGS[id].tables?.[key];
      const actions = actionsOn(statements, tableId(key));
      if (!access) expect(actions, `${id} on ${key}`).toEqual([]);
      if (access === 'read' || access === 'readwrite') expect(actions).toContain('dynamodb:GetItem');
      if (access === 'read') expect(actions.filter((a) => WRITE_ACTIONS.includes(a))).toEqual([]);
      if (access === 'write' || access === 'readwrite')
        expect(actions).toEqual(expect.arrayContaining(WRITE_ACTIONS));
    }
  });

  it.each(FUNCTION_IDS)('%s writes to the stream only if bound to it', (id) => {
    const actions = actionsOn(roleStatements(synth.template, roleId(id)), streamId());
    expect(actions.includes('kinesis:PutRecords')).toBe(FUNCTION_BINDINGS[id].stream === 'write');
  });

  it.each(FUNCTION_IDS)('%s reaches OpenSearch only if bound to it', (id) => {
    const actions = actionsOn(roleStatements(synth.template, roleId(id)), domainId());
    if (FUNCTION_BINDINGS[id].opensearch === 'write') {
      expect(actions).toEqual(expect.arrayContaining(['es:ESHttpPost', 'es:ESHttpPut']));
    } else if (!FUNCTION_BINDINGS[id].opensearch) {
      expect(actions).toEqual([]);
    }
  });

  it.each(FUNCTION_IDS)('%s may manage WebSocket connections only if bound to them', (id) => {
    const actions = allActions(roleStatements(synth.template, roleId(id)));
    expect(actions.includes('execute-api:ManageConnections')).toBe(
      FUNCTION_BINDINGS[id].websocketManagement === true,
    );
  });

  it.each(FUNCTION_IDS)(
    '%s is granted nothing on "*" but X-Ray (which has no resource-level permissions)',
    (id) => {
      expect(actionsOnAnyResource(roleStatements(synth.template, roleId(id)))).toEqual([
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    },
  );

  it.each(FUNCTION_IDS)('%s is given the name of exactly the resources it is granted', (id) => {
    const bindings = FUNCTION_BINDINGS[id];
    const expected = [
      bindings.stream ? BINDING_ENV.stream : undefined,
      ...Object.keys(bindings.tables ?? {}).map((key) => BINDING_ENV.tables[key as TableKey]),
      bindings.opensearch ? BINDING_ENV.opensearch : undefined,
      bindings.deadLetterQueue ? BINDING_ENV.deadLetterQueue : undefined,
      bindings.websocketManagement ? BINDING_ENV.websocketManagement : undefined,
    ].filter((name) => name !== undefined) as string[];
    const allBindingNames: string[] = [
      BINDING_ENV.stream,
      ...Object.values(BINDING_ENV.tables),
      BINDING_ENV.opensearch,
      BINDING_ENV.deadLetterQueue,
      BINDING_ENV.websocketManagement,
    ];
    const present = Object.keys(environmentOf(id)).filter((name) => allBindingNames.includes(name));
    expect(present.sort()).toEqual(expected.sort());
  });

  it('points the indexer at the domain over HTTPS, signed with SigV4, with the index prefix', () => {
    const env = environmentOf('indexer');
    expect(env[ENV.opensearchEndpoint]).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [domainId(), 'DomainEndpoint'] }]],
    });
    expect(env[ENV.opensearchAuth]).toBe('sigv4');
    expect(env[ENV.eventsIndexPrefix]).toBe(OPENSEARCH.eventsIndexPrefix);
  });
});

describe('encryption and data protection', () => {
  it('encrypts the stream with KMS and keeps records for the topology retention', () => {
    synth.template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      RetentionPeriodHours: 168,
      ShardCount: 1,
    });
  });

  it.each(TABLE_KEYS)('%s table is on-demand, encrypted, with point-in-time recovery', (key) => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: Match.arrayWith([{ AttributeName: TABLES[key].partitionKey.name, KeyType: 'HASH' }]),
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('expires connections and rollup dedupe markers by TTL', () => {
    for (const key of TABLE_KEYS) {
      const attribute = (TABLES[key] as TableDefinition).timeToLiveAttribute;
      const table = synth.template.findResources('AWS::DynamoDB::Table')[tableId(key)];
      expect(table?.Properties.TimeToLiveSpecification, key).toEqual(
        attribute ? { AttributeName: attribute, Enabled: true } : undefined,
      );
    }
  });

  it('indexes connections by account, projecting every attribute for the broadcaster', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TABLES.connections.partitionKey.name, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-account',
          KeySchema: [{ AttributeName: 'accountId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('encrypts the dead-letter queue, refuses plain HTTP and keeps messages 14 days', () => {
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId() }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('runs OpenSearch 2.19 encrypted at rest and between nodes, HTTPS-only with TLS 1.2', () => {
    synth.template.hasResourceProperties('AWS::OpenSearchService::Domain', {
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

  it('creates the domain only after OpenSearch may write to its log groups', () => {
    const policies = Object.keys(synth.template.findResources('AWS::Logs::ResourcePolicy'));
    expect(policies).toHaveLength(1);
    const domain = synth.template.findResources('AWS::OpenSearchService::Domain')[domainId()];
    expect(domain?.DependsOn).toContain(policies[0]);
    // The document is an Fn::Join (it names the log group ARNs), so it is checked as rendered text.
    const document = JSON.stringify(
      synth.template.findResources('AWS::Logs::ResourcePolicy')[policies[0] ?? '']?.Properties.PolicyDocument,
    );
    expect(document).toContain('{\\"Service\\":\\"es.amazonaws.com\\"}');
    expect(document).toContain('[\\"logs:CreateLogStream\\",\\"logs:PutLogEvents\\"]');
  });

  it('encrypts the alarm topic with a rotated customer key CloudWatch may use', () => {
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('retains stateful resources by default and can be told not to', () => {
    synth.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    synth.template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
    const disposable = synthPipeline({ retainData: false });
    disposable.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    disposable.template.hasResource('AWS::OpenSearchService::Domain', { DeletionPolicy: 'Delete' });
  });
});

describe('REST API', () => {
  it('serves the stage with access logs, error-level execution logs, tracing and throttling', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: API_STAGE,
      TracingEnabled: true,
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
      synth.template.hasResourceProperties('AWS::ApiGateway::Method', {
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
    synth.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: { 'method.request.path.accountId': true },
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestParameters: true,
    });
  });
});

describe('WebSocket API', () => {
  it.each([
    ['$connect', 'ws-connect'],
    ['$disconnect', 'ws-disconnect'],
    ['$default', 'ws-default'],
  ] as const)('routes %s to %s', (routeKey, id) => {
    const integrations = synth.template.findResources('AWS::ApiGatewayV2::Integration', {
      Properties: { IntegrationType: 'AWS_PROXY' },
    });
    const integrationId = Object.entries(integrations).find(([, integration]) =>
      JSON.stringify(integration.Properties.IntegrationUri).includes(`"${fnId(id)}"`),
    )?.[0];
    expect(integrationId, `integration for ${id}`).toBeDefined();
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
  });

  it('deploys the stage with access logs (without the query string) and throttling', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: API_STAGE,
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('connectionId'),
      },
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_SETTINGS.apiRateLimit,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.apiBurstLimit,
      },
    });
    const stage = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    expect(stage?.Properties.AccessLogSettings.Format).not.toMatch(/querystring|queryString/i);
  });

  it.each(['ws-default', 'ws-broadcast'] as const)(
    'gives %s the @connections endpoint of the stage',
    (id) => {
      expect(JSON.stringify(environmentOf(id)[ENV.websocketManagementEndpoint])).toMatch(
        new RegExp(`execute-api.*/${API_STAGE}`),
      );
    },
  );
});

describe('alarms', () => {
  it('alarms as soon as the dead-letter queue holds a message', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId(), 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.anyValue() }],
    });
  });

  it.each(STREAM_MAPPINGS.map((m) => [m.functionId, m] as const))(
    'alarms when %s falls behind the stream, well before records expire',
    (id, mapping) => {
      const threshold = iteratorAgeThresholdMs(mapping.maximumRecordAgeInSeconds);
      expect(threshold).toBeLessThan(mapping.maximumRecordAgeInSeconds * 1000);
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId(id) } }],
        Statistic: 'Maximum',
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    },
  );

  it.each(FUNCTION_IDS)('alarms on %s errors', (id) => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId(id) } }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on REST API 5xx answers', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Threshold: 0,
    });
  });

  it('emails alarms when alarmEmail is set', () => {
    const withEmail = synthPipeline({ alarmEmail: 'oncall@example.com' });
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    synth.template.resourceCountIs('AWS::SNS::Subscription', 0);
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
    expect(() => synthPipeline({ logRetentionDays: 10 })).toThrow(/logRetentionDays/);
  });

  it('sizes the domain for production when asked', () => {
    const { template } = synthPipeline({
      opensearchDataNodes: 2,
      opensearchMultiAz: true,
      opensearchMasterNodes: 3,
    });
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        InstanceCount: 2,
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
        DedicatedMasterEnabled: true,
        DedicatedMasterCount: 3,
      }),
    });
  });
});
