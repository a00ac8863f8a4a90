/**
 * The house style's rules for functions (STYLE.md "One construct wraps every Lambda function") and the
 * design's least privilege: every function runs on the house defaults, is granted exactly what it is
 * named, nothing on "*", and each store has only the writers the design's flow gives it.
 */
import { actionsOnAnyResource, allActions } from '../iam.js';
import {
  actionsOn,
  type DesignRule,
  isWrite,
  mentions,
  type Properties,
  resource,
  type Subject,
  statementsOf,
  streamMappings,
  writesTo,
} from './facts.js';

/** Lambda runtimes older than this are deprecated or about to be (DESIGN.md "Real parts"). */
export const MIN_NODEJS_MAJOR = 22;

/** X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions. */
const ANY_RESOURCE_ALLOWED = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

/** The functions we write: the event path's and the deployment-time installer. */
function ownFunctions(subject: Subject): [string, string][] {
  const { functions, indexTemplate } = subject.ids;
  return [
    ...Object.entries(functions).map(([name, ids]) => [name, ids.function] as [string, string]),
    ['index-template-installer', indexTemplate.installer.function],
  ];
}

/** Ours and the one aws-cdk-lib adds (the custom resource provider framework's). */
function allFunctions(subject: Subject): [string, string][] {
  return [
    ...ownFunctions(subject),
    ['the provider framework function', subject.ids.indexTemplate.providerFunction],
  ];
}

function nodeMajor(runtime: unknown): number {
  return Number(/^nodejs(\d+)\.x$/.exec(String(runtime))?.[1] ?? 0);
}

/** Runtime, JSON logs to a log group of its own that expires: what even aws-cdk-lib's own functions must have. */
function loggingViolations(subject: Subject, name: string, p: Properties): string[] {
  const logGroup = resource(subject, p.LoggingConfig?.LogGroup?.Ref ?? '');
  return [
    nodeMajor(p.Runtime) >= MIN_NODEJS_MAJOR ? undefined : `${name} runs ${p.Runtime}`,
    p.LoggingConfig?.LogFormat === 'JSON' ? undefined : `${name} does not log JSON`,
    logGroup?.Type === 'AWS::Logs::LogGroup' && logGroup.Properties.RetentionInDays
      ? undefined
      : `${name} has no log group of its own with a retention`,
  ].filter((v): v is string => v !== undefined);
}

/**
 * Who may write where, from the design's flow: ingest puts events on the stream; the indexer writes
 * documents; the rollup writer owns the rollups; API keys are managed by a CLI, never by a function;
 * live tokens are issued by the stats API (`POST /v1/live-tokens`, issue 9) and only read by `$connect`.
 */
const WRITERS: { store: string; id: (subject: Subject) => string; writers: string[] }[] = [
  { store: 'the event stream', id: (s) => s.ids.stream, writers: ['ingest'] },
  { store: 'the rollups table', id: (s) => s.ids.tables.rollups, writers: ['rollup-writer'] },
  { store: 'the API keys table', id: (s) => s.ids.tables.apiKeys, writers: [] },
  { store: 'the live tokens table', id: (s) => s.ids.tables.liveTokens, writers: ['stats-api'] },
  { store: 'the search domain', id: (s) => s.ids.domain, writers: ['indexer'] },
];

/** The installer may write one thing in the domain: the index template. */
const onlyIndexTemplates = (subject: Subject, fnId: string) =>
  statementsOf(subject, fnId)
    .filter((s) => mentions(s.Resource, subject.ids.domain))
    .every((s) => JSON.stringify(s.Resource).includes('/_index_template/'));

/** The resources a binding can name, with the readable name of each. */
function bindable(subject: Subject): [string, string][] {
  const { stream, deadLetterQueue, domain, webSocketApi, tables } = subject.ids;
  return [
    ['the event stream', stream],
    ['the dead-letter queue', deadLetterQueue],
    ['the search domain', domain],
    ['the WebSocket API', webSocketApi],
    ...Object.entries(tables).map(([key, id]) => [`the ${key} table`, id] as [string, string]),
  ];
}

/** What Lambda itself needs for a function's mapping: read its source, send to its on-failure queue. */
function grantedForMapping(subject: Subject, fnId: string, resourceId: string, actions: string[]): boolean {
  return streamMappings(subject).some(
    (m) =>
      m.functionLogicalId === fnId &&
      ((mentions(m.properties.EventSourceArn, resourceId) && !actions.some(isWrite)) ||
        (mentions(m.properties.DestinationConfig, resourceId) &&
          actions.every((a) =>
            ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'].includes(a),
          ))),
  );
}

export const FUNCTION_RULES: DesignRule[] = [
  {
    id: 'house-function',
    says: `Every function runs Node.js ${MIN_NODEJS_MAJOR}+ on arm64 with pass-through tracing (traced when API Gateway traced the request) and JSON logs to its own expiring log group; the CDK provider framework's own function at least logs JSON to an expiring group on Node.js ${MIN_NODEJS_MAJOR}+.`,
    check: (subject) => [
      ...ownFunctions(subject).flatMap(([name, id]) => {
        const p = resource(subject, id)?.Properties ?? {};
        return [
          ...loggingViolations(subject, name, p),
          ...(JSON.stringify(p.Architectures) === '["arm64"]' ? [] : [`${name} is not arm64`]),
          ...(p.TracingConfig?.Mode === 'PassThrough' ? [] : [`${name} is not pass-through traced`]),
        ];
      }),
      ...loggingViolations(
        subject,
        'the provider framework function',
        resource(subject, subject.ids.indexTemplate.providerFunction)?.Properties ?? {},
      ),
    ],
  },
  {
    id: 'grants-carry-names',
    says: 'A function is granted exactly the resources it is given the name of (besides what Lambda needs for its mapping), and named only what it is granted.',
    check: (subject) =>
      ownFunctions(subject).flatMap(([name, fnId]) => {
        const environment = resource(subject, fnId)?.Properties.Environment?.Variables ?? {};
        return bindable(subject).flatMap(([what, id]) => {
          const actions = actionsOn(subject, fnId, id);
          const named = mentions(environment, id);
          if (named && actions.length === 0) return [`${name} is named ${what} but granted nothing on it`];
          if (!named && actions.length > 0 && !grantedForMapping(subject, fnId, id, actions))
            return [`${name} may ${actions.join(', ')} on ${what} without being named it`];
          return [];
        });
      }),
  },
  {
    id: 'least-privilege',
    says: 'No role is granted anything on "*" but X-Ray, no wildcard action, and no AWS-managed policy.',
    check: (subject) =>
      allFunctions(subject).flatMap(([name, fnId]) => {
        const statements = statementsOf(subject, fnId);
        const onAny = actionsOnAnyResource(statements).filter((a) => !ANY_RESOURCE_ALLOWED.includes(a));
        const wildcard = allActions(statements).filter((a) => a.includes('*'));
        const roleId = resource(subject, fnId)?.Properties.Role?.['Fn::GetAtt']?.[0] ?? '';
        const managed = resource(subject, roleId)?.Properties.ManagedPolicyArns ?? [];
        return [
          ...onAny.map((a) => `${name} may ${a} on "*"`),
          ...wildcard.map((a) => `${name} is granted the wildcard action ${a}`),
          ...(managed.length > 0 ? [`${name}'s role has AWS-managed policies`] : []),
        ];
      }),
  },
  {
    id: 'single-writers',
    says: 'Only ingest writes the stream, only the indexer writes documents (the installer only the index template), only the rollup writer writes rollups, only the stats API issues live tokens, and no function writes API keys.',
    check: (subject) =>
      WRITERS.flatMap(({ store, id, writers }) =>
        ownFunctions(subject)
          .filter(([name, fnId]) => !writers.includes(name) && writesTo(subject, fnId, id(subject)))
          .filter(
            ([name, fnId]) =>
              !(
                name === 'index-template-installer' &&
                store === 'the search domain' &&
                onlyIndexTemplates(subject, fnId)
              ),
          )
          .map(([name]) => `${name} may write ${store}`),
      ),
  },
];
