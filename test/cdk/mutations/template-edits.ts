/**
 * Wrong settings that no topology entry controls (encryption, runtime, grants, alarms built by a
 * construct): each is made on a copy of the shared template and breaks one design rule, which must
 * then name the broken resource.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { Resource, Subject } from '../rules/facts.js';
import type { Mutation } from './topology-mutations.js';

export interface TemplateEdit extends Mutation {
  edit: (resources: Record<string, Resource>, subject: Subject) => void;
}

/** A copy of `subject` with one wrong edit. */
export function edited(subject: Subject, edit: TemplateEdit['edit']): Subject {
  const json = structuredClone(subject.template.toJSON());
  edit(json.Resources, subject);
  return { template: Template.fromJSON(json), ids: subject.ids };
}

export const TEMPLATE_EDITS: TemplateEdit[] = [
  {
    wrong: 'the stream is unencrypted',
    edit: (r, { ids }) => delete r[ids.stream]?.Properties.StreamEncryption,
    breaks: 'stream-encrypted',
    names: /not KMS-encrypted/,
  },
  {
    wrong: 'the API keys table has no point-in-time recovery',
    edit: (r, { ids }) => delete r[ids.tables.apiKeys]?.Properties.PointInTimeRecoverySpecification,
    breaks: 'tables-protected',
    names: /^apiKeys table has no point-in-time recovery/,
  },
  {
    wrong: 'the alarm topic key does not rotate',
    edit: (r) => {
      for (const key of Object.values(r).filter((x) => x.Type === 'AWS::KMS::Key'))
        key.Properties.EnableKeyRotation = false;
    },
    breaks: 'kms-keys-rotated',
    names: /does not rotate/,
  },
  {
    wrong: 'the ingest log group never expires',
    edit: (r, { ids }) => delete r[ids.functions.ingest.logGroup]?.Properties.RetentionInDays,
    breaks: 'logs-expire',
    names: /^log group IngestLogGroup[0-9A-F]{8} never expires/,
  },
  {
    wrong: 'the WebSocket access log records the query string (where $connect carries the key)',
    edit: (r, { ids }) => {
      const stage = Object.values(r).find(
        (x) => x.Type === 'AWS::ApiGatewayV2::Stage' && JSON.stringify(x).includes(ids.webSocketApi),
      );
      if (stage) stage.Properties.AccessLogSettings.Format = '{"query":"$request.querystring.key"}';
    },
    breaks: 'keys-never-logged',
    names: /logs a key-bearing field/,
  },
  {
    wrong: "the REST stage sends X-Ray segments (their URL keeps a beacon's ?key=)",
    edit: (r) => {
      const stage = Object.values(r).find((x) => x.Type === 'AWS::ApiGateway::Stage');
      if (stage) stage.Properties.TracingEnabled = true;
    },
    breaks: 'keys-never-logged',
    names: /sends X-Ray segments, which record request URLs/,
  },
  {
    wrong: 'the indexer runs Node.js 20 on x86_64',
    edit: (r, { ids }) => {
      const fn = r[ids.functions.indexer.function];
      if (fn) Object.assign(fn.Properties, { Runtime: 'nodejs20.x', Architectures: ['x86_64'] });
    },
    breaks: 'house-function',
    names: /^indexer (runs nodejs20.x|is not arm64)/,
  },
  {
    wrong: 'stats-api is granted the rollups table without being named it',
    edit: (r, { ids }) =>
      delete r[ids.functions['stats-api'].function]?.Properties.Environment.Variables.ROLLUPS_TABLE_NAME,
    breaks: 'grants-carry-names',
    names: /^stats-api may .* on the rollups table without being named it/,
  },
  {
    wrong: 'ingest may do anything to DynamoDB anywhere',
    edit: (r, { ids }) => {
      r.WideOpen = {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: ids.functions.ingest.role }],
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] },
        },
      };
    },
    breaks: 'least-privilege',
    names: /^ingest may dynamodb:\* on "\*"/,
  },
  {
    wrong: "live push's iterator-age alarm fires only at an hour (its records are discarded at 5 min)",
    edit: (r, { ids }) => {
      const alarm = Object.values(r).find(
        (x) =>
          x.Properties?.MetricName === 'IteratorAge' &&
          JSON.stringify(x).includes(ids.functions['ws-broadcast'].function),
      );
      if (alarm) alarm.Properties.Threshold = 3_600_000;
    },
    breaks: 'iterator-age-alarm-per-mapping',
    names: /^ws-broadcast iterator-age alarm fires too late/,
  },
  {
    wrong: 'the REST 5xx alarm is removed',
    edit: (r) => {
      for (const [id, x] of Object.entries(r)) if (x.Properties?.MetricName === '5XXError') delete r[id];
    },
    breaks: 'rest-api-5xx-alarm',
    names: /no 5XXError alarm on the REST API/,
  },
  {
    wrong: 'the indexer mapping starts before the index template',
    edit: (r, subject) => {
      const mapping = Object.values(r).find(
        (x) =>
          x.Type === 'AWS::Lambda::EventSourceMapping' &&
          JSON.stringify(x).includes(subject.ids.functions.indexer.function),
      );
      if (mapping) mapping.DependsOn = [];
    },
    breaks: 'search-consumers-after-index-template',
    names: /^indexer mapping: writes OpenSearch but does not wait/,
  },
  {
    wrong: 'the rollup writer mapping has no on-failure destination',
    edit: (r, subject) => {
      const mapping = Object.values(r).find(
        (x) =>
          x.Type === 'AWS::Lambda::EventSourceMapping' &&
          JSON.stringify(x).includes(subject.ids.functions['rollup-writer'].function),
      );
      if (mapping) delete mapping.Properties.DestinationConfig;
    },
    breaks: 'on-failure-to-dead-letter-queue',
    names: /^rollup-writer mapping: on-failure destination is not the dead-letter queue/,
  },
  {
    wrong: 'the indexer writes its metrics to another namespace than its alarms read',
    edit: (r, { ids }) => {
      const fn = r[ids.functions.indexer.function];
      if (fn) fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE = 'Somewhere/else';
    },
    breaks: 'dead-lettered-alarm-per-consumer',
    names: /^indexer has no EventsDeadLettered alarm/,
  },
  {
    wrong: "the indexer's dead-lettered alarm waits for ten letters",
    edit: (r) => {
      for (const alarm of Object.values(r)) {
        if (
          alarm.Properties?.MetricName === 'EventsDeadLettered' &&
          JSON.stringify(alarm).includes('"indexer"')
        )
          alarm.Properties.Threshold = 10;
      }
    },
    breaks: 'dead-lettered-alarm-per-consumer',
    names: /^indexer EventsDeadLettered alarm does not fire on the first one/,
  },
  {
    wrong: "the rollup writer's failed alarm needs an hour of failures",
    edit: (r) => {
      for (const alarm of Object.values(r)) {
        if (
          alarm.Properties?.MetricName === 'EventsFailed' &&
          JSON.stringify(alarm).includes('"rollup-writer"')
        )
          Object.assign(alarm.Properties, { EvaluationPeriods: 60, DatapointsToAlarm: 60 });
      }
    },
    breaks: 'failed-alarm-per-consumer',
    names: /^rollup-writer EventsFailed alarm fires too late/,
  },
  {
    wrong: 'the WebSocket stage logs without waiting for the API Gateway CloudWatch role',
    edit: (r, { ids }) => {
      const stage = Object.values(r).find(
        (x) => x.Type === 'AWS::ApiGatewayV2::Stage' && JSON.stringify(x).includes(ids.webSocketApi),
      );
      if (stage) delete stage.DependsOn;
    },
    breaks: 'api-logging-after-account-role',
    names: /^stage LiveApiStage[0-9A-F]{8} logs but may be created before/,
  },
  {
    wrong: "the dashboard page's response headers policy is named after the stack alone",
    edit: (r) => {
      for (const x of Object.values(r)) {
        if (x.Type === 'AWS::CloudFront::ResponseHeadersPolicy')
          x.Properties.ResponseHeadersPolicyConfig.Name = 'TestPipelineDashboardSecurityHeaders';
      }
    },
    breaks: 'account-wide-names-per-region',
    names: /^AWS::CloudFront::ResponseHeadersPolicy Dashboard\w+ is named without the region/,
  },
  {
    wrong: 'the REST API and its 5xx alarm go by the construct id "Api", like every other stack\'s',
    edit: (r, { ids }) => {
      const api = r[ids.restApi];
      if (api) api.Properties.Name = 'Api';
      for (const alarm of Object.values(r)) {
        for (const d of alarm.Properties?.Dimensions ?? []) if (d.Name === 'ApiName') d.Value = 'Api';
      }
    },
    breaks: 'alarms-watch-this-stack',
    names: /^alarm AlarmsRestApi5xx[0-9A-F]{8} watches ApiName "Api"/,
  },
];
