/**
 * Rollup writer core: applies a Kinesis batch to the rollups exactly once. The batch runs through the
 * stream-consumer skeleton (`../shared/stream-consumer.ts`); this module is its sink, and
 * `rollup-apply.ts` applies each shard's events.
 *
 * Besides applying, the sink keeps what a redrive needs to count an event exactly once:
 * - an event it dead-letters before counting it anywhere has its dedupe marker released (conditional
 *   on the marker naming its record), so a redriven copy claims it afresh;
 * - an invocation that leaves records not fully applied (a shard stuck for a while, or an event
 *   dead-lettered half-way) writes an applied-log entry naming, per record, the buckets it lacks
 *   (`rollup-applied-log.ts`), so a redriven copy fills exactly those.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { errorSummary } from '../shared/error-summary.js';
import { METRIC } from '../shared/metrics.js';
import { datedAt } from '../shared/stream-clock.js';
import {
  type BatchEvent,
  type ConsumerDeps,
  type ConsumerOutcome,
  consumeBatch,
  type EventOutcome,
  type Sink,
} from '../shared/stream-consumer.js';
import type { CrashJournal } from '../shared/stream-consumer-crashes.js';
import { type Claim, releaseClaims } from './dedupe.js';
import { classifyDynamoError, GroupFailure } from './dynamo-errors.js';
import { type AppliedLogEntry, appliedStateOf, writeAppliedEntry } from './rollup-applied-log.js';
import { applyShard, type ShardApplyDeps, type WaitingRecord } from './rollup-apply.js';
import { dynamoCrashJournal } from './rollup-crash-journal.js';
import { sequenceAfter } from './rollup-model.js';
import { standingOf } from './rollup-standing.js';
import type { ShardRegistryCache } from './shard-registry.js';

export type { ShardRegistryCache };

export interface RollupDeps extends ConsumerDeps, ShardApplyDeps {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  /**
   * A batch holding a record at least this old (ms) has waited long enough that the mapping could
   * discard it one day: its invocation writes an applied-log entry. Default: one hour.
   */
  appliedLogAfterMs?: number;
}

const DEFAULT_APPLIED_LOG_AFTER_MS = 3600 * 1000;

/** Applies a batch of stream records; `deadline` (epoch ms) bounds the retries. */
export async function applyRecords(
  records: KinesisStreamRecord[],
  deps: RollupDeps,
  deadline: number,
): Promise<ConsumerOutcome> {
  const sink = new RollupSink(deps);
  const outcome = await consumeBatch(records, sink, deps, deadline);
  await sink.logApplied(outcome.response.batchItemFailures.map((failure) => failure.itemIdentifier));
  return outcome;
}

/** The rollup writer as a sink of the skeleton, for one invocation. */
class RollupSink implements Sink {
  readonly source = 'rollup-writer' as const;
  readonly metrics = { done: METRIC.counted, duplicate: METRIC.alreadyCounted };
  /** Every event given to the sink in this invocation, by record id. */
  readonly #events = new Map<string, BatchEvent>();
  readonly #held = new Map<string, Set<string>>();
  readonly #buckets = new Map<string, string[]>();
  readonly #claims = new Map<string, Claim['kind']>();
  readonly #deadLettered = new Set<string>();
  /** Shards with an event dead-lettered half-way: their entry must be written whatever the age. */
  readonly #mustLog = new Set<string>();
  /**
   * Events not applied yet in every bucket (failed, or in a group that failed), by record id: no later
   * record may move a sub-item they lack past them (`rollup-apply.ts`).
   */
  readonly #waiting = new Map<string, BatchEvent>();

  readonly crashJournal: CrashJournal;

  constructor(private readonly deps: RollupDeps) {
    this.crashJournal = dynamoCrashJournal(deps);
  }

  async apply(events: BatchEvent[], deadline: number): Promise<EventOutcome[]> {
    const byShard = new Map<string, BatchEvent[]>();
    for (const event of events) {
      this.#events.set(event.recordId, event);
      byShard.set(event.shardId, [...(byShard.get(event.shardId) ?? []), event]);
    }
    const outcomes = new Map<string, EventOutcome>();
    // Until an outcome says otherwise (a throw fails the whole group), these events wait.
    for (const event of events) this.#waiting.set(event.recordId, event);
    for (const [shardId, group] of byShard) {
      const application = await applyShard(shardId, group, this.deps, deadline, this.behind(shardId, group));
      for (const [recordId, outcome] of application.outcomes) outcomes.set(recordId, outcome);
      for (const [recordId, labels] of application.held) {
        const held = this.#held.get(recordId) ?? new Set<string>();
        for (const label of labels) held.add(label);
        this.#held.set(recordId, held);
      }
      for (const [recordId, labels] of application.buckets) this.#buckets.set(recordId, labels);
      for (const [recordId, kind] of application.claims) this.#claims.set(recordId, kind);
    }
    return events.map((event) => {
      const outcome = outcomes.get(event.recordId) ?? {
        kind: 'transient',
        reason: 'the rollup writer did not settle the event',
      };
      if (outcome.kind === 'done' || outcome.kind === 'duplicate') this.#waiting.delete(event.recordId);
      return outcome;
    });
  }

  /** The shard's waiting events outside `group`, with the buckets they hold already. */
  private behind(shardId: string, group: BatchEvent[]): WaitingRecord[] {
    const inGroup = new Set(group.map((event) => event.recordId));
    return [...this.#waiting.values()]
      .filter((event) => event.shardId === shardId && !inGroup.has(event.recordId))
      .map((event) => ({ event, held: this.#held.get(event.recordId) ?? new Set<string>() }));
  }

  classifyThrown(error: unknown): EventOutcome {
    return error instanceof GroupFailure ? error.outcome : classifyDynamoError(error, 'rollup write');
  }

  /** Releases the markers of events counted nowhere; records the buckets the others lack. */
  async beforeDeadLetter(events: BatchEvent[], deadline: number): Promise<BatchEvent[]> {
    const unread: BatchEvent[] = [];
    for (const event of events.filter((event) => !this.#buckets.has(event.recordId))) {
      // Given up on before this invocation applied it: what did the earlier ones (crashed) do?
      // Keys DynamoDB refuses (the event's own fault) leave it as one that claimed nothing.
      const standing = await standingOf(event, this.deps, deadline).catch((error) =>
        classifyDynamoError(error, 'rollup items').kind === 'transient' ? undefined : null,
      );
      if (standing === undefined) unread.push(event);
      else if (standing) {
        this.#events.set(event.recordId, event);
        this.#buckets.set(event.recordId, standing.buckets);
        this.#held.set(event.recordId, standing.held);
        if (standing.claim !== 'none') this.#claims.set(event.recordId, standing.claim);
      }
    }
    const known = events.filter((event) => !unread.includes(event));
    const nowhere = known.filter(
      (event) => this.missing(event.recordId).length === this.bucketsOf(event).length,
    );
    const halfway = known.filter((event) => !nowhere.includes(event));
    const claims = nowhere.map((event): Claim => {
      const { account_id: accountId, event_id: eventId, timestamp } = event.event;
      const kind = this.#claims.get(event.recordId) ?? 'none';
      return { kind, accountId, eventId, recordId: event.recordId, timestamp };
    });
    const unreleased = await releaseClaims(claims, {
      dynamo: this.deps.dynamo,
      tableName: this.deps.tableName,
      timing: this.deps.timing,
      deadline,
      now: this.deps.timing.now(),
    });
    for (const event of events) this.#deadLettered.add(event.recordId);
    const unprepared = [...unread, ...nowhere.filter((event) => unreleased.has(event.recordId))];
    for (const shardId of new Set(halfway.map((event) => event.shardId))) {
      // Written now, before the letter leaves: the redrive of a letter must find what it has to fill.
      if (!(await this.writeEntry(shardId, new Set(), true))) {
        unprepared.push(...halfway.filter((event) => event.shardId === shardId));
      } else this.#mustLog.add(shardId);
    }
    // A dead-lettered event waits no more: its redrive, a new record, fills what it lacks. One that
    // could not be prepared is reported, so the shard is redelivered from it.
    for (const event of events) if (!unprepared.includes(event)) this.#waiting.delete(event.recordId);
    return unprepared;
  }

  /** At the end of the invocation: the applied-log entries of the shards that need one. */
  async logApplied(failedSequenceNumbers: string[]): Promise<void> {
    const failed = new Set(failedSequenceNumbers);
    const oldest = Math.min(...[...this.#events.values()].map((event) => event.arrivedAt));
    const old =
      this.deps.timing.now() - oldest >= (this.deps.appliedLogAfterMs ?? DEFAULT_APPLIED_LOG_AFTER_MS);
    const shards = new Set([...this.#events.values()].map((event) => event.shardId));
    for (const shardId of shards) {
      if (old || this.#mustLog.has(shardId) || (await this.described(shardId)))
        await this.writeEntry(shardId, failed, false);
    }
  }

  /**
   * Whether an earlier invocation's entry reaches this one's first record: a stuck (old) batch that
   * ended with fresh records failing. Its entry says what they lacked then; unless this invocation,
   * given them again, supersedes it, a resend would fill those buckets once more. Unsure: write.
   */
  private async described(shardId: string): Promise<boolean> {
    const [first] = this.sequencesOf(shardId);
    try {
      return (await appliedStateOf(`${shardId}:${first}`, this.deps)).kind !== 'unknown';
    } catch {
      return true;
    }
  }

  private sequencesOf(shardId: string): string[] {
    return [...this.#events.values()]
      .filter((event) => event.shardId === shardId)
      .map((event) => event.sequenceNumber)
      .sort((a, b) => (sequenceAfter(a, b) ? 1 : -1));
  }

  private async writeEntry(shardId: string, failed: Set<string>, quiet: boolean): Promise<boolean> {
    const events = [...this.#events.values()].filter((event) => event.shardId === shardId);
    const sequences = this.sequencesOf(shardId);
    const entry: AppliedLogEntry = {
      shardId,
      first: sequences[0] as string,
      last: sequences[sequences.length - 1] as string,
      missing: {},
    };
    for (const event of events) {
      if (!failed.has(event.sequenceNumber) && !this.#deadLettered.has(event.recordId)) continue;
      const missing = this.missing(event.recordId);
      if (missing.length > 0) entry.missing[event.sequenceNumber] = missing;
    }
    try {
      const arrivals = events.map((event) => event.arrivedAt);
      await writeAppliedEntry(entry, this.deps, datedAt(this.deps.timing.now(), arrivals));
      return true;
    } catch (error) {
      if (!quiet)
        this.deps.log.warn('applied-log entry not written', { shardId, error: errorSummary(error) });
      return false;
    }
  }

  private bucketsOf(event: BatchEvent): string[] {
    return this.#buckets.get(event.recordId) ?? [];
  }

  private missing(recordId: string): string[] {
    const held = this.#held.get(recordId) ?? new Set<string>();
    return (this.#buckets.get(recordId) ?? []).filter((label) => !held.has(label));
  }
}
