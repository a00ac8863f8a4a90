/**
 * DESIGN.md correctness rule 2 and issue 6 items 3 and 6, for alarms: a waiting shard is seen (iterator
 * age, per mapping), and so is every dead letter, every event a consumer keeps reporting for
 * redelivery, every failed invocation and every 5xx a client gets. An alarm counts only if it notifies
 * someone.
 */
import { ENV } from '../../../lambdas/shared/env-names.js';
import {
  type DesignRule,
  type Properties,
  resource,
  resourcesOf,
  type StreamMapping,
  type Subject,
  sameJson,
  streamMappings,
} from './facts.js';

/** A shard that has stopped (an outage, a poison record) is seen within a quarter of an hour. */
export const WAITING_SHARD_SEEN_WITHIN_SECONDS = 15 * 60;

function alarmsOn(subject: Subject, namespace: string, metric: string, dimension: [string, unknown]) {
  return resourcesOf(subject, 'AWS::CloudWatch::Alarm')
    .map(([, r]) => r.Properties)
    .filter(
      (p) =>
        p.Namespace === namespace &&
        p.MetricName === metric &&
        (p.Dimensions ?? []).some(
          (d: { Name: string; Value: unknown }) => d.Name === dimension[0] && sameJson(d.Value, dimension[1]),
        ),
    );
}

const notifies = (alarm: Properties) => (alarm.AlarmActions ?? []).length > 0;

/** Fires on the first occurrence: more than zero (or at least one) in a period. */
const firesOnFirst = (alarm: Properties) =>
  (alarm.ComparisonOperator === 'GreaterThanThreshold' && alarm.Threshold < 1) ||
  (alarm.ComparisonOperator === 'GreaterThanOrEqualToThreshold' && alarm.Threshold <= 1);

/** Seconds from a record reaching the threshold age to the alarm firing (datapoints of one period each). */
function secondsToFire(alarm: Properties): number {
  const datapoints = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods ?? 1;
  return alarm.Threshold / 1000 + (datapoints - 1) * (alarm.Period ?? 60);
}

/**
 * The alarms on a function's own EMF metric: the namespace and `service` dimension are read off the
 * function's environment (where Powertools takes them from), so an alarm on another namespace, or a
 * function writing elsewhere, watches nothing.
 */
function alarmsOnEventMetric(subject: Subject, functionLogicalId: string, metric: string): Properties[] {
  const variables = resource(subject, functionLogicalId)?.Properties.Environment?.Variables ?? {};
  const namespace = variables.POWERTOOLS_METRICS_NAMESPACE;
  if (typeof namespace !== 'string') return [];
  return alarmsOn(subject, namespace, metric, ['service', variables.POWERTOOLS_SERVICE_NAME]);
}

/**
 * Whether the consumer dead-letters events itself: it is named the queue (every mapped function may send
 * to it, for the mapping's on-failure records, but only those named it send letters).
 */
const deadLetters = (subject: Subject, m: StreamMapping) =>
  ENV.deadLetterQueueUrl in (resource(subject, m.functionLogicalId)?.Properties.Environment?.Variables ?? {});

/**
 * Violations unless the function has an alarm on its own count `metric` (a sum) that fires on the first
 * occurrence and notifies.
 */
function firstOccurrenceEventAlarm(
  subject: Subject,
  name: string,
  functionLogicalId: string,
  metric: string,
): string[] {
  const alarms = alarmsOnEventMetric(subject, functionLogicalId, metric);
  if (alarms.length === 0) return [`${name} has no ${metric} alarm on the metrics it writes`];
  return alarms.some((a) => firesOnFirst(a) && notifies(a) && a.Statistic === 'Sum')
    ? []
    : [`${name} ${metric} alarm does not fire on the first one, or notifies nobody`];
}

/** Violations unless some alarm on the metric fires on the first occurrence and notifies. */
function firstOccurrenceAlarm(
  subject: Subject,
  what: string,
  metric: [namespace: string, name: string],
  dimension: [string, unknown],
): string[] {
  const alarms = alarmsOn(subject, metric[0], metric[1], dimension);
  if (alarms.length === 0) return [`no ${metric[1]} alarm on ${what}`];
  return alarms.some((a) => firesOnFirst(a) && notifies(a))
    ? []
    : [`the ${metric[1]} alarm on ${what} does not fire on the first one, or notifies nobody`];
}

export const ALARM_RULES: DesignRule[] = [
  {
    id: 'iterator-age-alarm-per-mapping',
    says: `Every mapping has an iterator-age alarm that notifies before its records could be discarded, and within ${WAITING_SHARD_SEEN_WITHIN_SECONDS / 60} min of a shard starting to wait.`,
    check: (subject) =>
      streamMappings(subject).flatMap((m) => {
        const alarms = alarmsOn(subject, 'AWS/Lambda', 'IteratorAge', [
          'FunctionName',
          { Ref: m.functionLogicalId },
        ]);
        const maxAge = m.properties.MaximumRecordAgeInSeconds ?? -1;
        const inTime = (a: Properties) =>
          a.Statistic === 'Maximum' &&
          notifies(a) &&
          secondsToFire(a) <= WAITING_SHARD_SEEN_WITHIN_SECONDS &&
          (maxAge === -1 || secondsToFire(a) < maxAge);
        if (alarms.length === 0) return [`${m.consumer} mapping has no iterator-age alarm`];
        return alarms.some(inTime)
          ? []
          : [
              `${m.consumer} iterator-age alarm fires too late (after records are discarded or a shard waited 15 min), or notifies nobody`,
            ];
      }),
  },
  {
    id: 'dead-lettered-alarm-per-consumer',
    says: 'Every consumer that dead-letters events has an alarm on its own dead-lettered count that notifies on the first one.',
    check: (subject) =>
      streamMappings(subject)
        .filter((m) => deadLetters(subject, m))
        .flatMap((m) =>
          firstOccurrenceEventAlarm(subject, m.consumer, m.functionLogicalId, 'EventsDeadLettered'),
        ),
  },
  {
    id: 'failed-alarm-per-consumer',
    says: `Every consumer has an alarm that notifies within ${WAITING_SHARD_SEEN_WITHIN_SECONDS / 60} min of events being reported for redelivery again and again.`,
    check: (subject) =>
      streamMappings(subject).flatMap((m) => {
        const alarms = alarmsOnEventMetric(subject, m.functionLogicalId, 'EventsFailed');
        if (alarms.length === 0) return [`${m.consumer} has no EventsFailed alarm on the metrics it writes`];
        const inTime = (a: Properties) =>
          firesOnFirst(a) &&
          notifies(a) &&
          (a.DatapointsToAlarm ?? a.EvaluationPeriods ?? 1) * (a.Period ?? 60) <=
            WAITING_SHARD_SEEN_WITHIN_SECONDS;
        return alarms.some(inTime)
          ? []
          : [`${m.consumer} EventsFailed alarm fires too late, on too many failures, or notifies nobody`];
      }),
  },
  {
    id: 'dead-letter-alarm',
    says: 'An alarm notifies as soon as the dead-letter queue holds a message.',
    check: (subject) =>
      firstOccurrenceAlarm(
        subject,
        'the dead-letter queue',
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
        ['QueueName', { 'Fn::GetAtt': [subject.ids.deadLetterQueue, 'QueueName'] }],
      ),
  },
  {
    id: 'function-error-alarms',
    says: 'Every function on the event path has an alarm on its errors that notifies on the first one.',
    check: (subject) =>
      Object.entries(subject.ids.functions).flatMap(([name, ids]) =>
        firstOccurrenceAlarm(
          subject,
          name,
          ['AWS/Lambda', 'Errors'],
          ['FunctionName', { Ref: ids.function }],
        ),
      ),
  },
  {
    id: 'request-function-throttle-alarms',
    says: 'Every function that serves requests (not a stream consumer) has an alarm on its throttles that notifies on the first one: a throttle refuses a client.',
    check: (subject) => {
      const consumers = new Set(streamMappings(subject).map((m) => m.consumer));
      return Object.entries(subject.ids.functions)
        .filter(([name]) => !consumers.has(name))
        .flatMap(([name, ids]) =>
          firstOccurrenceAlarm(
            subject,
            name,
            ['AWS/Lambda', 'Throttles'],
            ['FunctionName', { Ref: ids.function }],
          ),
        );
    },
  },
  {
    id: 'admission-unchecked-alarm',
    says: "Every function that checks keys' event limits (it is named the admission table) has an alarm on its own AdmissionUnchecked count that notifies on the first one: while checks fail open, no key's event limit holds.",
    check: (subject) => {
      const admitting = Object.entries(subject.ids.functions).filter(
        ([, ids]) =>
          ENV.admissionTableName in
          (resource(subject, ids.function)?.Properties.Environment?.Variables ?? {}),
      );
      if (admitting.length === 0)
        return ['no function checks event admission (none is named the admission table)'];
      return admitting.flatMap(([name, ids]) =>
        firstOccurrenceEventAlarm(subject, name, ids.function, 'AdmissionUnchecked'),
      );
    },
  },
  {
    id: 'rest-api-5xx-alarm',
    says: 'An alarm notifies when the REST API answers 5xx (clients are told to retry, or events are not accepted).',
    check: (subject) => {
      const api = resource(subject, subject.ids.restApi);
      if (!api) return ['no REST API'];
      return firstOccurrenceAlarm(
        subject,
        'the REST API',
        ['AWS/ApiGateway', '5XXError'],
        ['ApiName', api.Properties.Name],
      );
    },
  },
];
