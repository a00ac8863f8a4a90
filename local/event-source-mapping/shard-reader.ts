/**
 * Reads one shard in order, as Lambda's poller does: GetShardIterator once at the starting position,
 * then GetRecords with each answer's NextShardIterator. It remembers the last record read, so an
 * iterator that expired (they live 5 minutes, e.g. while a batch waits out an outage) is renewed
 * AFTER_SEQUENCE_NUMBER of it and nothing is skipped or read twice.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { StartingPosition } from '../../lib/topology.js';
import { fromSdkRecord, type StreamRecord } from './kinesis-event.js';

export interface ShardRead {
  records: StreamRecord[];
  /** The shard is closed (split or merged) and every record of it has been read. */
  exhausted: boolean;
  /** How far the reader is behind the newest record of the shard, as GetRecords reports it. */
  millisBehindLatest?: number;
}

/** Throughput exceeded: wait a second and read again, nothing is wrong. */
export function isThrottling(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException';
}

export class ShardReader {
  #iterator: string | undefined;
  #opened = false;
  #lastRead: string | undefined;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    readonly shardId: string,
    private readonly startingPosition: StartingPosition,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the first iterator; a LATEST reader sees what is put after this resolves. */
  async open(): Promise<void> {
    this.#iterator = await this.iteratorAt(this.startingPosition);
    this.#opened = true;
  }

  /** Up to `limit` records after the last read; rejects on throttling and outages (read again later). */
  async read(limit: number): Promise<ShardRead> {
    if (!this.#opened) await this.open();
    if (!this.#iterator) return { records: [], exhausted: true };
    try {
      const output = await this.kinesis.send(
        new GetRecordsCommand({ ShardIterator: this.#iterator, Limit: limit }),
      );
      this.#iterator = output.NextShardIterator;
      const records = (output.Records ?? []).map((record) => fromSdkRecord(record, this.now()));
      const last = records[records.length - 1];
      if (last) this.#lastRead = last.sequenceNumber;
      return {
        records,
        exhausted: !this.#iterator,
        ...(output.MillisBehindLatest !== undefined ? { millisBehindLatest: output.MillisBehindLatest } : {}),
      };
    } catch (error) {
      if ((error as { name?: string }).name !== 'ExpiredIteratorException') throw error;
      this.#iterator = this.#lastRead
        ? await this.iteratorAt('AFTER_SEQUENCE_NUMBER', this.#lastRead)
        : await this.iteratorAt(this.startingPosition);
      return { records: [], exhausted: false };
    }
  }

  private async iteratorAt(
    type: ShardIteratorType,
    afterSequenceNumber?: string,
  ): Promise<string | undefined> {
    const output = await this.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: this.shardId,
        ShardIteratorType: type,
        ...(afterSequenceNumber ? { StartingSequenceNumber: afterSequenceNumber } : {}),
      }),
    );
    return output.ShardIterator;
  }
}
