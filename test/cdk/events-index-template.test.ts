/**
 * The deployment applies the events index template before any consumer indexes an event: a custom
 * resource backed by the installer function, re-run whenever the template body changes.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EVENTS_INDEX_TEMPLATE_NAME, eventsIndexTemplate } from '../../lambdas/indexer/index-template.js';
import { eventsIndexTemplateHash } from '../../lambdas/indexer/template-installer-core.js';
import { ENV } from '../../lambdas/shared/env-names.js';
import { DEFAULT_SETTINGS } from '../../lib/stacks/pipeline-settings.js';
import {
  DEPLOY_FUNCTIONS,
  FUNCTION_BINDINGS,
  type FunctionId,
  OPENSEARCH,
  STREAM_MAPPINGS,
} from '../../lib/topology.js';
import { actionsOn, actionsOnAnyResource, allActions, roleStatements } from './iam.js';
import { pipeline } from './pipeline.js';

const INSTALLER = DEPLOY_FUNCTIONS['index-template-installer'];

const { template, ids } = pipeline();
const installerId = () => ids.indexTemplate.installer.function;
const installerRoleId = () => ids.indexTemplate.installer.role;
const customResourceId = () => ids.indexTemplate.resource;
const frameworkFunctionId = () => ids.indexTemplate.providerFunction;
const domainId = () => ids.domain;
const fnId = (id: FunctionId) => ids.functions[id].function;

/** The event source mapping of a consumer, with its DependsOn. */
function mappingOf(id: FunctionId): { DependsOn?: string[] } {
  const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
    Properties: { FunctionName: { Ref: fnId(id) } },
  });
  const [mapping, ...others] = Object.values(mappings);
  if (!mapping || others.length > 0) throw new Error(`expected one mapping for ${id}`);
  return mapping;
}

describe('the events index template custom resource', () => {
  it('names the template and carries the hash of its body, served by the provider framework', () => {
    template.resourceCountIs('Custom::EventsIndexTemplate', 1);
    template.hasResourceProperties('Custom::EventsIndexTemplate', {
      ServiceToken: { 'Fn::GetAtt': [frameworkFunctionId(), 'Arn'] },
      TemplateName: EVENTS_INDEX_TEMPLATE_NAME,
      TemplateHash: eventsIndexTemplateHash(OPENSEARCH.eventsIndexPrefix),
    });
  });

  it.each([
    ['default', DEFAULT_SETTINGS.opensearchDataNodes, 0],
    ['overridden', 2, 1],
  ] as const)(
    'on the %s stack, %i data node(s), gives every index %i replica(s)',
    (variant, dataNodes, replicas) => {
      // A second data node holds a copy of every shard: losing a node (or an AZ) loses no indexed event.
      const { template: stack } = pipeline(variant);
      stack.hasResourceProperties('AWS::OpenSearchService::Domain', {
        ClusterConfig: Match.objectLike({ InstanceCount: dataNodes }),
      });
      stack.hasResourceProperties('Custom::EventsIndexTemplate', {
        Replicas: String(replicas),
        TemplateHash: eventsIndexTemplateHash(OPENSEARCH.eventsIndexPrefix, replicas),
      });
    },
  );

  it('hands every request to the installer function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'framework.onEvent',
      Environment: { Variables: { USER_ON_EVENT_FUNCTION_ARN: { 'Fn::GetAtt': [installerId(), 'Arn'] } } },
    });
  });

  it.each(STREAM_MAPPINGS.map((m) => m.functionId))(
    'starts the %s mapping after the template only if that consumer writes to OpenSearch',
    (id) => {
      const dependsOn = mappingOf(id).DependsOn ?? [];
      expect(dependsOn.includes(customResourceId())).toBe(FUNCTION_BINDINGS[id].opensearch !== undefined);
    },
  );

  it('makes the indexer wait for the template', () => {
    expect(mappingOf('indexer').DependsOn).toContain(customResourceId());
  });
});

describe('the installer function', () => {
  it('is a house function with the settings of its DEPLOY_FUNCTIONS entry', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: INSTALLER.description,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'PassThrough' },
      MemorySize: INSTALLER.memorySizeMb,
      Timeout: INSTALLER.timeoutSeconds,
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: ids.indexTemplate.installer.logGroup },
      },
      Role: { 'Fn::GetAtt': [installerRoleId(), 'Arn'] },
    });
  });

  it('is pointed at the domain over HTTPS, signed with SigV4, with the index prefix the indexer uses', () => {
    const fn = template.findResources('AWS::Lambda::Function')[installerId()];
    const env = fn?.Properties.Environment.Variables;
    expect(env[ENV.opensearchEndpoint]).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [domainId(), 'DomainEndpoint'] }]],
    });
    expect(env[ENV.opensearchAuth]).toBe('sigv4');
    expect(env[ENV.eventsIndexPrefix]).toBe(OPENSEARCH.eventsIndexPrefix);
  });

  it('may only PUT the events index template in the domain', () => {
    const statements = roleStatements(template, installerRoleId());
    expect(actionsOn(statements, domainId())).toEqual(['es:ESHttpPut']);
    expect(allActions(statements).filter((action) => action.startsWith('es:'))).toEqual(['es:ESHttpPut']);
    const esStatements = statements.filter((s) => JSON.stringify(s.Action).includes('es:'));
    expect(esStatements.map((s) => s.Resource)).toEqual([
      {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [domainId(), 'Arn'] }, `/_index_template/${EVENTS_INDEX_TEMPLATE_NAME}`],
        ],
      },
    ]);
  });

  it('is granted nothing else but its own logs and X-Ray', () => {
    const statements = roleStatements(template, installerRoleId());
    expect(allActions(statements)).toEqual([
      'es:ESHttpPut',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(actionsOnAnyResource(statements)).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });
});

describe('the provider framework function', () => {
  const frameworkRoleId = () => ids.indexTemplate.providerRole;

  it('runs with its own role (no AWS-managed policy) and a log group with the configured retention', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('provider framework of the events index template'),
      ManagedPolicyArns: Match.absent(),
    });
    const logGroupId = ids.indexTemplate.providerLogGroup;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'framework.onEvent',
      Role: { 'Fn::GetAtt': [frameworkRoleId(), 'Arn'] },
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: logGroupId } }),
    });
    const logGroup = template.findResources('AWS::Logs::LogGroup')[logGroupId];
    expect(logGroup?.Properties.RetentionInDays).toBe(DEFAULT_SETTINGS.logRetentionDays);
  });

  it('may invoke and describe only the installer, and write only its own logs', () => {
    const statements = roleStatements(template, frameworkRoleId());
    expect(actionsOn(statements, installerId())).toEqual(['lambda:GetFunction', 'lambda:InvokeFunction']);
    expect(allActions(statements)).toEqual([
      'lambda:GetFunction',
      'lambda:InvokeFunction',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(actionsOnAnyResource(statements)).toEqual([]);
  });
});

describe('the slow logs the domain publishes', () => {
  it('have thresholds in every index the template makes, or OpenSearch never writes to them', () => {
    // Prepare: which slow logs the domain sends to CloudWatch
    const domain = template.toJSON().Resources[domainId()] as {
      Properties: { LogPublishingOptions?: Record<string, { Enabled?: boolean }> };
    };
    const published = Object.entries(domain.Properties.LogPublishingOptions ?? {})
      .filter(([, option]) => option.Enabled)
      .map(([kind]) => kind);
    const settings: Record<string, unknown> = eventsIndexTemplate(OPENSEARCH.eventsIndexPrefix).template
      .settings;
    const thresholds = (kind: string) =>
      Object.keys(settings).filter((key) => key.startsWith(`${kind}.slowlog.threshold.`));

    // Assess: a published slow log has at least one threshold of its kind
    expect(published).toEqual(expect.arrayContaining(['SEARCH_SLOW_LOGS', 'INDEX_SLOW_LOGS']));
    expect(thresholds('search')).not.toHaveLength(0);
    expect(thresholds('indexing')).not.toHaveLength(0);
  });
});
