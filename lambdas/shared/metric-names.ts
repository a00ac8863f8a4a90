/**
 * The names of the pipeline's metrics, apart from the Powertools code that writes them (`metrics.ts`),
 * so that the CDK app (the alarms) can use them without loading it. Names are part of the alarms'
 * contract: never renamed.
 */

/** Namespace when the deployment names none (`POWERTOOLS_METRICS_NAMESPACE`): the local stack. */
export const DEFAULT_METRICS_NAMESPACE = 'EventPipeline';

/** Namespace of a deployed stack's metrics: one per stack, so two stages never share an alarm. */
export function metricsNamespace(stackName: string): string {
  return `${DEFAULT_METRICS_NAMESPACE}/${stackName}`;
}

/** The environment variable Powertools reads the namespace from. */
export const METRICS_NAMESPACE_ENV = 'POWERTOOLS_METRICS_NAMESPACE';

/** Dimension of the counts by reason. */
export const REASON_DIMENSION = 'reasonCode';

/** Every metric the pipeline emits; names are part of the alarms' contract, never renamed. */
export const METRIC = {
  /** Ingest: events Kinesis acknowledged. */
  accepted: 'EventsAccepted',
  /** Ingest: events refused with a 4xx reason (by `reasonCode`). */
  rejected: 'EventsRejected',
  /** Ingest: valid events refused with a 429 because their key was over its event limit. */
  throttled: 'EventsThrottled',
  /** Ingest: requests admitted without their key's event limit checked (the admission table failed). */
  admissionUnchecked: 'AdmissionUnchecked',
  /** Indexer: documents created. */
  indexed: 'EventsIndexed',
  /** Indexer: already a document (redelivery, resend, later version). */
  alreadyIndexed: 'EventsAlreadyIndexed',
  /** Rollup writer: events counted in their rollups. */
  counted: 'EventsCounted',
  /** Rollup writer: already counted (redelivery, resend). */
  alreadyCounted: 'EventsAlreadyCounted',
  /** Live push: events handed to the account's connections (or to none, when none listens). */
  pushed: 'EventsPushed',
  /** Live push: events of a batch already pushed. */
  alreadyPushed: 'EventsAlreadyPushed',
  /** A consumer gave up on the event and sent it, with its payload, to the dead-letter queue (by `reasonCode`). */
  deadLettered: 'EventsDeadLettered',
  /** Events tried again within an invocation after a transient failure. */
  retried: 'EventsRetried',
  /** Events reported to the mapping as batch item failures, for redelivery. */
  failed: 'EventsFailed',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
