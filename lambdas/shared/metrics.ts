/**
 * The pipeline's metrics: counts of what happened to events, as CloudWatch Embedded Metric Format lines
 * written by Powertools Metrics (no API call, no latency; CloudWatch extracts them from the log).
 *
 * One EMF line per flush holds every count of the invocation under the `service` dimension (the
 * function's id, from `POWERTOOLS_SERVICE_NAME`); counts by reason (dead-lettered, rejected) get one
 * more line per reason, with a `reasonCode` dimension: a short stable code, never the free text, so the
 * number of metrics stays bounded. The alarms (`lib/constructs/pipeline-alarms.ts`) read the totals.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import {
  DEFAULT_METRICS_NAMESPACE,
  METRIC,
  METRICS_NAMESPACE_ENV,
  type MetricName,
  REASON_DIMENSION,
} from './metric-names.js';

export * from './metric-names.js';

/** What the cores depend on: counts, and a flush at the end of an invocation. */
export interface EventMetrics {
  /** Adds `value` to a count (a zero is not recorded); `reasonCode` also counts it under that reason. */
  count(name: MetricName, value: number, reasonCode?: string): void;
  /** Writes what was counted since the last flush (nothing when nothing was counted). */
  flush(): void;
}

/** Counts backed by Powertools Metrics, summed per invocation so each name appears once per line. */
export class PowertoolsEventMetrics implements EventMetrics {
  readonly #metrics: Metrics;
  readonly #totals = new Map<MetricName, number>();
  readonly #byReason = new Map<string, number>();

  constructor(
    metrics: Metrics = new Metrics({
      namespace: process.env[METRICS_NAMESPACE_ENV] || DEFAULT_METRICS_NAMESPACE,
    }),
  ) {
    this.#metrics = metrics;
  }

  count(name: MetricName, value: number, reasonCode?: string): void {
    if (value <= 0) return;
    this.#totals.set(name, (this.#totals.get(name) ?? 0) + value);
    if (reasonCode === undefined) return;
    const key = `${name}\u0000${reasonCode}`;
    this.#byReason.set(key, (this.#byReason.get(key) ?? 0) + value);
  }

  flush(): void {
    // Powertools warns on an empty flush; an idle invocation has nothing to say.
    if (this.#totals.size > 0) {
      for (const [name, value] of this.#totals) this.#metrics.addMetric(name, MetricUnit.Count, value);
      this.#metrics.publishStoredMetrics();
    }
    for (const [key, value] of this.#byReason) {
      const [name, reasonCode] = key.split('\u0000') as [MetricName, string];
      const single = this.#metrics.singleMetric();
      single.addDimension(REASON_DIMENSION, reasonCode);
      single.addMetric(name, MetricUnit.Count, value);
    }
    this.#totals.clear();
    this.#byReason.clear();
  }
}

/** Top-level fields a rejection can name (others are folded into `invalid-event`). */
const EVENT_FIELDS = new Set([
  'event_id',
  'type',
  'timestamp',
  'account_id',
  'user_id',
  'anonymous_id',
  'session_id',
  'path',
  'value',
  'properties',
]);

/** The reason code of a refused event: `too-large`, or `invalid-<field>` of its first error. */
export function rejectionReasonCode(errors: { path: string; message: string }[]): string {
  const [first] = errors;
  if (first?.path === '' && /\bbytes\b/.test(first.message)) return 'too-large';
  const field = first?.path.split('.')[0] ?? '';
  return EVENT_FIELDS.has(field) ? `invalid-${field}` : 'invalid-event';
}

/**
 * Counts what ingest did with a request's events and flushes at once: ingest answers every request by
 * itself, so its counts cannot wait for a handler to flush them.
 */
export function countAdmission(
  metrics: EventMetrics,
  outcome: {
    accepted: number;
    rejected: { errors: { path: string; message: string }[] }[];
    failed?: number;
    throttled?: number;
  },
): void {
  metrics.count(METRIC.accepted, outcome.accepted);
  metrics.count(METRIC.throttled, outcome.throttled ?? 0);
  for (const rejection of outcome.rejected) {
    metrics.count(METRIC.rejected, 1, rejectionReasonCode(rejection.errors));
  }
  metrics.count(METRIC.failed, outcome.failed ?? 0);
  metrics.flush();
}

/** The process's metrics, flushed by each handler at the end of an invocation. */
export const metrics: EventMetrics = new PowertoolsEventMetrics();
