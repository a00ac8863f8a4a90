/**
 * DESIGN.md correctness rule 2 and issue 6 item 3, for the event source mappings: every consumer reads
 * the stream through its own mapping that reports item failures, bisects, and fails over to a queue;
 * durable consumers wait out an outage instead of discarding, and anything still discarded stays on
 * the stream long enough to be re-read and redriven.
 */
import {
  arnOf,
  type DesignRule,
  isDurable,
  type StreamMapping,
  type Subject,
  sameJson,
  streamMappings,
  streamRetentionSeconds,
  writesTo,
} from './facts.js';

/** The stream consumers of the design's flow: indexer, rollup writer and live push. */
export const STREAM_CONSUMERS = ['indexer', 'rollup-writer', 'ws-broadcast'] as const;

const DAY_SECONDS = 86_400;
/** A durable consumer waits out at least a day of outage (a night, a weekend's first day) before discarding. */
export const MIN_DURABLE_WAIT_SECONDS = DAY_SECONDS;
/** After a durable mapping discards, its records stay on the stream at least a day more, to be redriven. */
export const REDRIVE_MARGIN_SECONDS = DAY_SECONDS;

/** Applies `check` to every mapping on the event stream (or only the durable ones). */
function eachMapping(
  subject: Subject,
  check: (mapping: StreamMapping) => string | undefined,
  only: 'all' | 'durable' = 'all',
): string[] {
  return streamMappings(subject)
    .filter((mapping) => only === 'all' || isDurable(subject, mapping))
    .flatMap((mapping) => {
      const problem = check(mapping);
      return problem ? [`${mapping.consumer} mapping: ${problem}`] : [];
    });
}

export const MAPPING_RULES: DesignRule[] = [
  {
    id: 'consumer-own-mapping',
    says: 'Each stream consumer has its own event source mapping, so an OpenSearch outage does not stop rollups or live push.',
    check: (subject) => {
      const mappings = streamMappings(subject);
      const missing = STREAM_CONSUMERS.filter(
        (consumer) => !mappings.some((m) => m.consumer === consumer),
      ).map((consumer) => `${consumer} has no mapping on the event stream`);
      const shared = [...new Set(mappings.map((m) => m.consumer))]
        .filter((consumer) => mappings.filter((m) => m.consumer === consumer).length > 1)
        .map((consumer) => `${consumer} has more than one mapping on the event stream`);
      return [...missing, ...shared];
    },
  },
  {
    id: 'report-batch-item-failures',
    says: 'Every mapping reports batch item failures, so one failed record does not redeliver or discard the batch.',
    check: (subject) =>
      eachMapping(subject, (m) =>
        (m.properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures')
          ? undefined
          : 'FunctionResponseTypes lacks ReportBatchItemFailures',
      ),
  },
  {
    id: 'bisect-on-function-error',
    says: 'Every mapping bisects a batch whose invocation fails, isolating the record that breaks it.',
    check: (subject) =>
      eachMapping(subject, (m) =>
        m.properties.BisectBatchOnFunctionError === true
          ? undefined
          : 'BisectBatchOnFunctionError is not true',
      ),
  },
  {
    id: 'on-failure-to-dead-letter-queue',
    says: "Every mapping sends what it discards to the pipeline's dead-letter queue (SQS), where the alarm and the redrive tool look.",
    check: (subject) =>
      eachMapping(subject, (m) =>
        sameJson(m.properties.DestinationConfig?.OnFailure?.Destination, arnOf(subject.ids.deadLetterQueue))
          ? undefined
          : 'on-failure destination is not the dead-letter queue',
      ),
  },
  {
    id: 'durable-never-discards-in-outage',
    says: 'Durable consumers (OpenSearch, rollups) retry without a count limit: an outage makes the shard wait, never discard.',
    check: (subject) =>
      eachMapping(
        subject,
        (m) => {
          // CloudFormation's default for stream mappings is -1 (unlimited) when the property is absent.
          const retries = m.properties.MaximumRetryAttempts ?? -1;
          return retries === -1 ? undefined : `MaximumRetryAttempts is ${retries}, not -1 (unlimited)`;
        },
        'durable',
      ),
  },
  {
    id: 'durable-record-age-redrivable',
    says: `Durable consumers wait at least ${MIN_DURABLE_WAIT_SECONDS / 3600} h before discarding by age, and what they discard stays on the stream ${REDRIVE_MARGIN_SECONDS / 3600} h more to be re-read.`,
    check: (subject) => {
      const retention = streamRetentionSeconds(subject);
      return eachMapping(
        subject,
        (m) => {
          const age = m.properties.MaximumRecordAgeInSeconds ?? -1;
          if (age === -1)
            return 'MaximumRecordAgeInSeconds is unlimited: records expire off the stream unseen';
          if (age < MIN_DURABLE_WAIT_SECONDS)
            return `MaximumRecordAgeInSeconds ${age} s gives up within a day`;
          if (age > retention - REDRIVE_MARGIN_SECONDS)
            return `MaximumRecordAgeInSeconds ${age} s leaves less than ${REDRIVE_MARGIN_SECONDS} s of the stream's ${retention} s retention to redrive`;
          return undefined;
        },
        'durable',
      );
    },
  },
  {
    id: 'durable-starts-at-trim-horizon',
    says: 'Durable consumers start at TRIM_HORIZON, so events already on the stream when a mapping is (re)created are processed.',
    check: (subject) =>
      eachMapping(
        subject,
        (m) =>
          m.properties.StartingPosition === 'TRIM_HORIZON'
            ? undefined
            : `StartingPosition is ${m.properties.StartingPosition}`,
        'durable',
      ),
  },
  {
    id: 'search-consumers-after-index-template',
    says: 'A consumer that writes OpenSearch starts only after the index template is applied (explicit mappings, flat_object properties).',
    check: (subject) =>
      eachMapping(subject, (m) =>
        writesTo(subject, m.functionLogicalId, subject.ids.domain) &&
        !m.dependsOn.includes(subject.ids.indexTemplate.resource)
          ? 'writes OpenSearch but does not wait for the index template'
          : undefined,
      ),
  },
];
