/**
 * Polls one shard for a mapping: reads records into a buffer, hands a batch to `runBatch` when
 * `batchReady` says so, one batch at a time, until the shard is closed and drained or the mapping stops.
 * Read failures (kinesalite restarting, throttling) make it wait and read again from where it was.
 */

import { ENDED } from '../lifetime.js';
import { type BatchContext, describeError, noCounts, runBatch, type ShardCounters } from './batch-runner.js';
import { type BatchingSettings, batchReady, nextBatchLength } from './batching.js';
import { compareSequenceNumbers, ShardCheckpoint } from './checkpoint.js';
import type { StreamRecord } from './kinesis-event.js';
import { isThrottling, type ShardReader } from './shard-reader.js';

/** One shard as the mapping's stats show it. */
export interface ShardStats extends ShardCounters {
  shardId: string;
  /** Last sequence number the mapping is done with (succeeded or discarded). */
  checkpoint?: string;
  /** Records read from the shard and not yet invoked. */
  bufferedRecords: number;
  /** Records of the batch being invoked (or retried) and not yet checkpointed. */
  inFlightRecords: number;
  /**
   * How old the oldest record not yet done with is (ms since Kinesis accepted it), 0 when there is none:
   * Lambda's IteratorAge. It grows while a batch waits out an outage.
   */
  iteratorAgeMs: number;
  /** How far reading is behind the newest record of the shard, as GetRecords reports it. */
  millisBehindLatest?: number;
  /** The shard was closed (resharding) and every record of it handled. */
  finished: boolean;
}

export interface PollerSettings extends BatchingSettings {
  /** Pause between reads of a shard with nothing to deliver. */
  pollIntervalMs: number;
}

export class ShardPoller {
  readonly checkpoint = new ShardCheckpoint();
  readonly counters = noCounts();
  #buffer: StreamRecord[] = [];
  #bufferedSinceMs = 0;
  #inFlight: StreamRecord[] = [];
  #exhausted = false;
  #finished = false;
  #failedReads = 0;
  #millisBehindLatest: number | undefined;

  constructor(
    private readonly reader: ShardReader,
    private readonly settings: PollerSettings,
    private readonly context: BatchContext,
  ) {}

  get shardId(): string {
    return this.reader.shardId;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Polls until the shard is drained after a reshard, or the mapping stops. */
  async run(): Promise<void> {
    const { lifetime, now } = this.context;
    while (!lifetime.ended) {
      const needsRecords =
        !this.#exhausted && !this.payloadFull() && this.#buffer.length < this.settings.batchSize;
      const waitAfterFailedRead = needsRecords ? await this.fill() : 0;
      if (lifetime.ended) return;
      const state = {
        bufferedRecords: this.#buffer.length,
        bufferedSinceMs: this.#bufferedSinceMs,
        shardExhausted: this.#exhausted,
        payloadFull: this.payloadFull(),
      };
      if (batchReady(state, this.settings, now())) {
        const batch = this.#buffer.splice(0, nextBatchLength(this.#buffer, this.settings.batchSize));
        if (this.#buffer.length > 0) this.#bufferedSinceMs = now();
        this.#inFlight = batch;
        const outcome = await runBatch(this, batch, this.context);
        this.#inFlight = [];
        if (outcome === 'stopped') return;
        continue;
      }
      if (this.#exhausted && this.#buffer.length === 0) {
        // A closed shard (split or merged) is done; its children may start now.
        this.#finished = true;
        return;
      }
      await lifetime.sleep(waitAfterFailedRead || this.settings.pollIntervalMs);
    }
  }

  /** The buffered records make more than one invocation's payload: invoke them, read no more. */
  private payloadFull(): boolean {
    return nextBatchLength(this.#buffer, this.settings.batchSize) < this.#buffer.length;
  }

  /**
   * Reads once into the buffer. Returns 0, or after a failed read how long to wait before the next:
   * a second when throttled, as for an outage (kinesalite restarting), which is logged once per episode.
   */
  private async fill(): Promise<number> {
    const { lifetime, now, log } = this.context;
    try {
      const read = await lifetime.until(this.reader.read(this.settings.batchSize - this.#buffer.length));
      if (read === ENDED) return 0;
      if (this.#failedReads > 0) {
        log(`GetRecords on ${this.shardId} works again after ${this.#failedReads} failed read(s)`);
      }
      this.#failedReads = 0;
      if (this.#buffer.length === 0 && read.records.length > 0) this.#bufferedSinceMs = now();
      this.#buffer.push(...read.records);
      this.#exhausted = read.exhausted;
      this.#millisBehindLatest = read.millisBehindLatest;
      return 0;
    } catch (error) {
      if (isThrottling(error)) return 1000;
      this.#failedReads += 1;
      if (this.#failedReads === 1) {
        log(`GetRecords on ${this.shardId} failed, reading again: ${describeError(error)}`);
      }
      return Math.max(this.settings.pollIntervalMs, 1000);
    }
  }

  stats(): ShardStats {
    const checkpoint = this.checkpoint.sequenceNumber;
    const pending =
      this.#inFlight.find(
        (record) => checkpoint === undefined || compareSequenceNumbers(record.sequenceNumber, checkpoint) > 0,
      ) ?? this.#buffer[0];
    return {
      shardId: this.shardId,
      ...(checkpoint !== undefined ? { checkpoint } : {}),
      ...this.counters,
      bufferedRecords: this.#buffer.length,
      inFlightRecords: this.#inFlight.length,
      iteratorAgeMs: pending ? Math.max(0, this.context.now() - pending.approximateArrivalTimestampMs) : 0,
      ...(this.#millisBehindLatest !== undefined ? { millisBehindLatest: this.#millisBehindLatest } : {}),
      finished: this.#finished,
    };
  }
}
