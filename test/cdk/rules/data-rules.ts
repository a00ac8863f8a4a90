/**
 * What DESIGN.md and the house style require of the places data lives: the stream, the tables, the
 * dead-letter queue, the keys and the logs.
 */
import { type DesignRule, type Properties, resource, resourcesOf, type Subject } from './facts.js';

/**
 * Tables whose items expire: rollup dedupe markers (DESIGN.md rule 5), connections (rule 6) and live
 * tokens (short-lived by definition, issue 9).
 */
export const EXPIRING_TABLES = ['rollups', 'connections', 'liveTokens'] as const;

/** A dead letter must outlive a long weekend plus the fix it waits for; SQS's default of 4 days does not. */
export const MIN_DEAD_LETTER_RETENTION_SECONDS = 7 * 86_400;

/** Access log fields that could carry a key: API keys travel in headers or, for beacons and $connect, the query. */
const KEY_BEARING_LOG_FIELD =
  /querystring|\$input\.params|\$request\.header|\$context\.authorizer|requestOverride/i;

const tableEntries = (subject: Subject) => Object.entries(subject.ids.tables);

export const DATA_RULES: DesignRule[] = [
  {
    id: 'stream-encrypted',
    says: 'The event stream is encrypted at rest with KMS.',
    check: (subject) =>
      resource(subject, subject.ids.stream)?.Properties.StreamEncryption?.EncryptionType === 'KMS'
        ? []
        : ['the event stream is not KMS-encrypted'],
  },
  {
    id: 'tables-protected',
    says: 'Every table is encrypted at rest and has point-in-time recovery.',
    check: (subject) =>
      tableEntries(subject).flatMap(([key, id]) => {
        const p = resource(subject, id)?.Properties ?? {};
        return [
          p.SSESpecification?.SSEEnabled === true ? undefined : `${key} table is not encrypted`,
          p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true
            ? undefined
            : `${key} table has no point-in-time recovery`,
        ].filter((v): v is string => v !== undefined);
      }),
  },
  {
    id: 'tables-expire-by-ttl',
    says: 'Tables whose items expire (rollup dedupe markers, connections, live tokens) delete them by TTL.',
    check: (subject) =>
      EXPIRING_TABLES.flatMap((key) =>
        resource(subject, subject.ids.tables[key])?.Properties.TimeToLiveSpecification?.Enabled === true
          ? []
          : [`${key} table has no TTL`],
      ),
  },
  {
    id: 'connections-by-account',
    says: 'Connections are indexed by account, projecting the connection id, so the broadcaster queries one account.',
    check: (subject) => {
      const indexes: Properties[] =
        resource(subject, subject.ids.tables.connections)?.Properties.GlobalSecondaryIndexes ?? [];
      const byAccount = indexes.some((gsi) =>
        (gsi.KeySchema ?? []).some(
          (k: { AttributeName: string; KeyType: string }) =>
            k.KeyType === 'HASH' && /^account/i.test(k.AttributeName),
        ),
      );
      return byAccount ? [] : ['connections table has no index partitioned by account'];
    },
  },
  {
    id: 'dead-letter-queue-kept-and-encrypted',
    says: `The dead-letter queue is encrypted, refuses plain HTTP and keeps messages at least ${MIN_DEAD_LETTER_RETENTION_SECONDS / 86_400} days, long enough to act on.`,
    check: (subject) => {
      const id = subject.ids.deadLetterQueue;
      const p = resource(subject, id)?.Properties ?? {};
      const retention = p.MessageRetentionPeriod ?? 4 * 86_400;
      const tlsOnly = resourcesOf(subject, 'AWS::SQS::QueuePolicy').some(
        ([, policy]) =>
          JSON.stringify(policy.Properties.Queues).includes(`"${id}"`) &&
          (policy.Properties.PolicyDocument.Statement as Properties[]).some(
            (s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
          ),
      );
      return [
        p.SqsManagedSseEnabled === true || p.KmsMasterKeyId
          ? undefined
          : 'dead-letter queue is not encrypted',
        retention >= MIN_DEAD_LETTER_RETENTION_SECONDS
          ? undefined
          : `dead-letter queue keeps messages only ${retention} s`,
        tlsOnly ? undefined : 'dead-letter queue accepts plain HTTP',
      ].filter((v): v is string => v !== undefined);
    },
  },
  {
    id: 'kms-keys-rotated',
    says: 'Every customer-managed KMS key rotates.',
    check: (subject) =>
      resourcesOf(subject, 'AWS::KMS::Key').flatMap(([id, key]) =>
        key.Properties.EnableKeyRotation === true ? [] : [`KMS key ${id} does not rotate`],
      ),
  },
  {
    id: 'logs-expire',
    says: 'Every log group has a retention, so logs neither vanish early nor cost forever.',
    check: (subject) =>
      resourcesOf(subject, 'AWS::Logs::LogGroup').flatMap(([id, group]) =>
        group.Properties.RetentionInDays ? [] : [`log group ${id} never expires`],
      ),
  },
  {
    id: 'keys-never-logged',
    says: 'No API key or live token reaches a log: access logs carry no query string or header, REST data tracing is off, and the REST stage has no X-Ray (its segment records the URL with its query string, where a beacon puts its key).',
    check: (subject) => [
      ...resourcesOf(subject, 'AWS::ApiGatewayV2::Stage').flatMap(([id, stage]) =>
        KEY_BEARING_LOG_FIELD.test(stage.Properties.AccessLogSettings?.Format ?? '')
          ? [`${id} logs a key-bearing field`]
          : [],
      ),
      ...resourcesOf(subject, 'AWS::ApiGateway::Stage').flatMap(([id, stage]) => [
        ...(KEY_BEARING_LOG_FIELD.test(stage.Properties.AccessLogSetting?.Format ?? '')
          ? [`${id} logs a key-bearing field`]
          : []),
        ...((stage.Properties.MethodSettings ?? []) as Properties[])
          .filter((m) => m.DataTraceEnabled === true)
          .map(() => `${id} traces request data (headers and bodies)`),
        ...(stage.Properties.TracingEnabled === true
          ? [`${id} sends X-Ray segments, which record request URLs with their query string`]
          : []),
      ]),
    ],
  },
];
