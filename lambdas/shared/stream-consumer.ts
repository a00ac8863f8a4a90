/**
 * The one stream-consumer skeleton: the indexer, the rollup writer and the live push run their batches
 * through it, and differ only in their sink (what applying an event means, and how its failures are
 * classified, in the sink's own module).
 *
 * 1. Decode every record, re-checking admission; a record that cannot be decoded is dead-lettered with
 *    its raw data and the reason, and never reaches the sink.
 * 2. The sink applies the events and says, per event: `done`, `duplicate` (already applied),
 *    `permanent` (can never succeed for this event), `transient` (the infrastructure failed), or
 *    `group-failed` (a request failed as a whole for a reason that may be one event's fault).
 * 3. `group-failed` groups are bisected at once, within the deadline, until the event at fault is alone
 *    (`stream-consumer-isolation.ts`); the events of the halves that succeed are done.
 * 4. `permanent` events are dead-lettered AT ONCE, with their payload and reason, after the attempt that
 *    found them; the rest of the batch proceeds. A letter SQS does not take is a batch item failure.
 * 5. `transient` events are retried with the one backoff (`retryPending`) until the deadline; those
 *    still failing are reported as batch item failures (Lambda redelivers from the lowest), never
 *    dead-lettered, never dropped.
 * 6. A record that comes back alone and old, after crashing the function again and again in ways it
 *    cannot catch, is dead-lettered without being applied (`stream-consumer-crashes.ts`).
 *
 * Counts go out as metrics (`metrics.ts`) and one log line with counts, ids and reasons.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import {
  type DeadLetter,
  eventLetter,
  type ReasonCode,
  sendDeadLetters,
  undecodableLetter,
} from './dead-letter.js';
import { boundedText } from './error-summary.js';
import { batchResponse, decodeRecord, type KinesisStreamBatchResponse } from './kinesis-records.js';
import type { Log } from './logger.js';
import { type EventMetrics, METRIC, type MetricName } from './metrics.js';
import { type Backoff, retryPending, type Timing } from './retry.js';
import { type CrashJournal, checkForCrashes } from './stream-consumer-crashes.js';
import {
  type BatchEvent,
  type EventOutcome,
  type Isolation,
  isolateFailures,
} from './stream-consumer-isolation.js';

export type { KinesisStreamBatchResponse } from './kinesis-records.js';
export type { BatchEvent, EventOutcome } from './stream-consumer-isolation.js';

/** What a consumer does with events: the part that differs between consumers. */
export interface Sink {
  /**
   * Which function dead-letters (DeadLetter.source). Absent for a best-effort sink (live push): what it
   * cannot use is skipped with a log line, since the durable consumers dead-letter the same records.
   */
  source?: DeadLetter['source'];
  /** Metric names of its `done` and `duplicate` outcomes. */
  metrics: { done: MetricName; duplicate: MetricName };
  /**
   * Applies the events; returns one outcome per event, in order. Idempotent: an event may be applied
   * again (a retry, a redelivery). May throw: then the whole group failed (`classifyThrown`).
   */
  apply(events: BatchEvent[], deadline: number): Promise<EventOutcome[]>;
  /** What an error thrown by `apply` means for its events (default: group-failed, unrecognised). */
  classifyThrown?(error: unknown): EventOutcome;
  /**
   * Undoes what the sink holds of events it is about to dead-letter (the rollup writer releases their
   * dedupe markers), so a redrive applies them afresh. Returns the events it could not prepare: they
   * are reported as batch item failures instead of dead-lettered.
   */
  beforeDeadLetter?(events: BatchEvent[], deadline: number): Promise<BatchEvent[]>;
  /** Where the sink notes records that may crash the function (`stream-consumer-crashes.ts`). */
  crashJournal?: CrashJournal;
}

export interface ConsumerDeps {
  /** The dead-letter queue; required by every sink that has a `source`. */
  sqs?: SQSClient;
  deadLetterQueueUrl?: string;
  timing: Timing;
  log: Log;
  metrics: EventMetrics;
  backoff?: Backoff;
  /**
   * How far after its receipt an event's timestamp may lie (`EVENT_MAX_FUTURE_SECONDS`, ingest's bound,
   * which the stats API relies on to find rollups); a record beyond it is dead-lettered. Default 1 hour.
   */
  maxFutureMs?: number;
}

export interface ConsumerCounts {
  records: number;
  done: number;
  duplicate: number;
  deadLettered: number;
  /** Events applied again within the invocation after a transient failure (one per event and retry). */
  retried: number;
  /** Records reported as batch item failures. */
  failed: number;
}

export interface ConsumerOutcome {
  response: KinesisStreamBatchResponse;
  counts: ConsumerCounts;
}

/** Distinct reasons named in one log line. */
const MAX_LOGGED_REASONS = 5;

/** Runs one batch of stream records through `sink`. `deadline` (epoch ms) bounds every retry. */
export async function consumeBatch(
  records: KinesisStreamRecord[],
  sink: Sink,
  deps: ConsumerDeps,
  deadline: number,
): Promise<ConsumerOutcome> {
  const run = new BatchRun(sink, deps, deadline);
  const events: BatchEvent[] = [];
  const undecodable: DeadLetter[] = [];
  for (const record of records) {
    const decoded = decodeRecord(record, deps.maxFutureMs);
    if (decoded.ok) events.push(decoded);
    else undecodable.push(undecodableLetter(sink.source ?? 'indexer', decoded, run.failedAt()));
  }
  await run.deadLetter(undecodable);

  const crashes = await checkForCrashes(events, records.length, sink.crashJournal, {
    now: deps.timing.now(),
    deadline,
    log: deps.log,
  });
  if (crashes.poison) {
    const { event, reason } = crashes.poison;
    await run.deadLetterEvents([[event, { reasonCode: 'repeated-crash', reason }]]);
    events.length = 0;
  }
  const { remaining, attempts } = await retryPending(
    events,
    async (pending, attempt) => {
      if (attempt > 1) run.counts.retried += pending.length;
      return run.attempt(pending);
    },
    { deadline, timing: deps.timing, backoff: deps.backoff },
  );
  await crashes.finished();
  return run.finish(records.length, remaining, attempts);
}

/** The state of one batch: counts, failures to report, and the reasons seen. */
class BatchRun {
  readonly counts: ConsumerCounts = {
    records: 0,
    done: 0,
    duplicate: 0,
    deadLettered: 0,
    retried: 0,
    failed: 0,
  };
  readonly #failures: string[] = [];
  readonly #deadLetterReasons: string[] = [];
  readonly #lastError = new Map<BatchEvent, string>();
  /** Whether the sink applied any event in this invocation: evidence that it is healthy. */
  #sinkServed = false;

  constructor(
    private readonly sink: Sink,
    private readonly deps: ConsumerDeps,
    private readonly deadline: number,
  ) {}

  failedAt(): string {
    return new Date(this.deps.timing.now()).toISOString();
  }

  /** One pass over the pending events; returns those to try again after a backoff. */
  async attempt(pending: BatchEvent[]): Promise<BatchEvent[]> {
    const isolation: Isolation = await isolateFailures(pending, this.sink, {
      deadline: this.deadline,
      now: this.deps.timing.now,
    });
    this.counts.done += isolation.done;
    this.counts.duplicate += isolation.duplicate;
    if (isolation.done + isolation.duplicate > 0) this.#sinkServed = true;

    const permanent = [...isolation.permanent];
    const transient: BatchEvent[] = [];
    for (const [event, reason] of isolation.transient) {
      this.#lastError.set(event, reason);
      transient.push(event);
    }
    // An error no rule recognises, for one event alone: its own fault if the sink served others.
    for (const [event, reason] of isolation.unrecognised) {
      if (this.#sinkServed) permanent.push([event, { reasonCode: 'unrecognised-error', reason }]);
      else {
        this.#lastError.set(event, reason);
        transient.push(event);
      }
    }
    await this.deadLetterEvents(permanent);
    return transient;
  }

  async deadLetterEvents(permanent: [BatchEvent, { reasonCode: ReasonCode; reason: string }][]) {
    if (permanent.length === 0) return;
    const events = permanent.map(([event]) => event);
    const unprepared = new Set((await this.sink.beforeDeadLetter?.(events, this.deadline)) ?? []);
    for (const event of unprepared) this.#failures.push(event.sequenceNumber);
    await this.deadLetter(
      permanent
        .filter(([event]) => !unprepared.has(event))
        .map(([event, failure]) =>
          eventLetter(this.sink.source ?? 'indexer', event, failure, this.failedAt()),
        ),
    );
  }

  async deadLetter(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const { sqs, deadLetterQueueUrl } = this.deps;
    if (!this.sink.source || !sqs || !deadLetterQueueUrl) {
      // A best-effort sink: the durable consumers dead-letter these records.
      this.deps.log.warn('records skipped', {
        skipped: letters.length,
        reasons: loggable(letters.map((l) => l.reason)),
      });
      return;
    }
    const notSent = new Set(await sendDeadLetters(sqs, deadLetterQueueUrl, letters, this.deps.log));
    this.#failures.push(...notSent);
    for (const letter of letters) {
      if (notSent.has(letter.sequenceNumber)) continue;
      this.counts.deadLettered += 1;
      this.deps.metrics.count(METRIC.deadLettered, 1, letter.reasonCode ?? 'unrecognised-error');
      this.#deadLetterReasons.push(letter.reason);
    }
  }

  finish(records: number, remaining: BatchEvent[], attempts: number): ConsumerOutcome {
    const { counts, deps, sink } = this;
    counts.records = records;
    const failures = new Set([...this.#failures, ...remaining.map((event) => event.sequenceNumber)]);
    counts.failed = failures.size;
    deps.metrics.count(sink.metrics.done, counts.done);
    deps.metrics.count(sink.metrics.duplicate, counts.duplicate);
    deps.metrics.count(METRIC.retried, counts.retried);
    deps.metrics.count(METRIC.failed, counts.failed);
    if (this.#deadLetterReasons.length > 0) {
      deps.log.warn('events dead-lettered', {
        deadLettered: counts.deadLettered,
        reasons: loggable(this.#deadLetterReasons),
      });
    }
    if (remaining.length > 0) {
      deps.log.warn('events not applied, reported for redelivery', {
        failed: remaining.length,
        attempts,
        firstSequenceNumber: remaining[0]?.sequenceNumber,
        lastErrors: loggable(remaining.map((event) => this.#lastError.get(event))),
      });
    }
    deps.log.info('batch consumed', { ...counts });
    return { response: batchResponse(failures), counts };
  }
}

function loggable(reasons: (string | undefined)[]): string[] {
  return [...new Set(reasons.map((reason) => boundedText(reason ?? 'unknown')))].slice(0, MAX_LOGGED_REASONS);
}
