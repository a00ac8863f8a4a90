/**
 * What the dead-letter queue holds, parsed: a letter a consumer wrote when it gave up on an event (with
 * the event, or the raw record data when it could not be decoded), or the on-failure record a stream
 * mapping wrote when it discarded a batch (shard and sequence numbers only, no data). Pure functions:
 * the queue, the stream and the sinks are read elsewhere.
 */
import type { DeadLetter } from '../../lambdas/shared/dead-letter.js';
import { eventKey, type StoredEvent } from '../../lambdas/shared/event-schema.js';
import { pascal } from '../../lib/constructs/names.js';
import { FUNCTIONS, type FunctionId } from '../../lib/topology.js';
import type { OnFailureRecord } from '../../local/event-source-mapping/kinesis-event.js';
import { decodeStreamRecord } from './stream-reader.js';

/** A message as received from the queue. */
export interface QueueMessage {
  id: string;
  body: string;
  /** When SQS accepted it, epoch ms (its `SentTimestamp`). */
  sentAt?: number;
}

/** Who gave up: a consumer function, or `unknown` for a message no consumer of ours writes. */
export type LetterSource = FunctionId | 'unknown';

interface LetterBase {
  id: string;
  source: LetterSource;
  /** Short and stable, for grouping: the consumer's `reasonCode`, or one derived from the reason. */
  reasonCode: string;
  reason: string;
  /** When the letter was written (the consumer's `failedAt`, else when SQS received it), epoch ms. */
  at: number;
}

/** A letter about one event, with the event itself. */
export interface EventLetter extends LetterBase {
  kind: 'event';
  source: 'indexer' | 'rollup-writer';
  sequenceNumber: string;
  shardId?: string;
  event: StoredEvent;
  key: string;
  /** The record's bytes as they go back on the stream. */
  data: Buffer;
  partitionKey?: string;
}

/** A letter about a record that could not be decoded (or no longer can be): its raw data. */
export interface RawLetter extends LetterBase {
  kind: 'raw';
  source: 'indexer' | 'rollup-writer';
  sequenceNumber: string;
  shardId?: string;
  /** Undefined when the letter was cut to fit the queue: then it cannot be redriven. */
  data?: Buffer;
  partitionKey?: string;
  /** Why it still cannot be decoded by today's consumers. */
  undecodable: string;
}

/** A batch a stream mapping discarded after its retries or record age: metadata only. */
export interface BatchLetter extends LetterBase {
  kind: 'batch';
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
  streamArn: string;
  firstArrival: number;
}

/** A message that is none of the above. */
export interface UnknownLetter extends LetterBase {
  kind: 'unknown';
  source: 'unknown';
}

export type Letter = EventLetter | RawLetter | BatchLetter | UnknownLetter;

/** Parses one queue message. Never throws: what it cannot read is an `unknown` letter. */
export function parseLetter(message: QueueMessage): Letter {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return unknownLetter(message, 'the message is not JSON');
  }
  if (isOnFailureRecord(body)) return batchLetter(message, body);
  if (isDeadLetter(body)) return consumerLetter(message, body);
  return unknownLetter(message, 'the message is neither a dead letter nor an on-failure record');
}

function unknownLetter(message: QueueMessage, reason: string): UnknownLetter {
  return {
    kind: 'unknown',
    id: message.id,
    source: 'unknown',
    reasonCode: 'unrecognised-message',
    reason,
    at: message.sentAt ?? 0,
  };
}

function batchLetter(message: QueueMessage, record: OnFailureRecord): BatchLetter {
  const info = record.KinesisBatchInfo;
  const condition = record.requestContext.condition;
  const error = record.responseContext.functionError;
  return {
    kind: 'batch',
    id: message.id,
    source: functionOfArn(record.requestContext.functionArn),
    reasonCode: `batch-discarded:${condition}`,
    reason:
      `the mapping discarded ${info.batchSize} record(s) after ${record.requestContext.approximateInvokeCount} ` +
      `invocation(s) (${condition}${error ? `, ${error}` : ''}); only their sequence numbers were kept`,
    at: Date.parse(record.timestamp) || message.sentAt || 0,
    shardId: info.shardId,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
    batchSize: info.batchSize,
    streamArn: info.streamArn,
    firstArrival: Date.parse(info.approximateArrivalOfFirstRecord) || 0,
  };
}

function consumerLetter(message: QueueMessage, letter: DeadLetter): EventLetter | RawLetter {
  const base = {
    id: message.id,
    source: letter.source,
    reasonCode: reasonCodeOf(letter),
    reason: letter.reason,
    at: Date.parse(letter.failedAt) || message.sentAt || 0,
    sequenceNumber: letter.sequenceNumber,
    ...optionalString(letter, 'shardId'),
    ...partitionKeyOf(letter),
  };
  if (letter.event !== undefined && !(letter as { truncated?: boolean }).truncated) {
    const data = Buffer.from(JSON.stringify(letter.event));
    return decodedOrRaw(base, data);
  }
  if (typeof letter.data === 'string' && !(letter as { truncated?: boolean }).truncated) {
    return decodedOrRaw(base, Buffer.from(letter.data, 'base64'));
  }
  return {
    ...base,
    kind: 'raw',
    undecodable: 'the letter was cut to fit the queue: its record is incomplete',
  };
}

/** What decodes today can be redriven, whatever the consumer said when it gave up. */
function decodedOrRaw(
  base: Omit<EventLetter, 'kind' | 'event' | 'key' | 'data'>,
  data: Buffer,
): EventLetter | RawLetter {
  const decoded = decodeStreamRecord({
    sequenceNumber: base.sequenceNumber,
    partitionKey: base.partitionKey ?? '',
    data,
    // Decoded as its consumer saw it when it gave up (the record's times are checked against its arrival).
    arrivedAt: base.at,
    ...(base.shardId ? { shardId: base.shardId } : {}),
  });
  if (!decoded.ok) return { ...base, kind: 'raw', data, undecodable: decoded.reason };
  return { ...base, kind: 'event', event: decoded.event, key: eventKey(decoded.event), data };
}

/**
 * A short code to group letters by: the consumer's `reasonCode` when it writes one, else the error type
 * OpenSearch or DynamoDB named (`400 mapper_parsing_exception: ...` -> `mapper_parsing_exception`), else
 * the reason up to its first colon.
 */
export function reasonCodeOf(letter: Pick<DeadLetter, 'reason'> & { reasonCode?: unknown }): string {
  if (typeof letter.reasonCode === 'string' && letter.reasonCode) return letter.reasonCode;
  const typed =
    /^\d{3} ([A-Za-z_.]+)/.exec(letter.reason) ?? /\b([a-z]+(?:_[a-z]+)*_exception)\b/.exec(letter.reason);
  if (typed?.[1]) return typed[1];
  const head = letter.reason.split(':')[0]?.trim() ?? '';
  return (head || 'unknown').slice(0, 60);
}

/**
 * The function named by a Lambda ARN: locally the function id itself; deployed, CDK names functions
 * `<stack>-<ConstructId><hash>`, and the construct id is the pascal-cased function id.
 */
export function functionOfArn(arn: string): LetterSource {
  const name = arn.split(':').pop() ?? '';
  const ids = Object.keys(FUNCTIONS) as FunctionId[];
  const exact = ids.find((id) => id === name);
  if (exact) return exact;
  // Longest first: `RollupWriter` must not be taken for another id that is a prefix of it.
  const byLength = [...ids].sort((a, b) => pascal(b).length - pascal(a).length);
  return byLength.find((id) => name.includes(`-${pascal(id)}`)) ?? 'unknown';
}

/** The stream name in a Kinesis stream ARN (`arn:aws:kinesis:<region>:<account>:stream/<name>`). */
export function streamNameOfArn(arn: string): string | undefined {
  const match = /:stream\/([^/]+)$/.exec(arn);
  return match?.[1];
}

function isOnFailureRecord(body: unknown): body is OnFailureRecord {
  const record = body as Partial<OnFailureRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.KinesisBatchInfo?.shardId === 'string' &&
    typeof record.KinesisBatchInfo.startSequenceNumber === 'string' &&
    typeof record.KinesisBatchInfo.endSequenceNumber === 'string' &&
    typeof record.requestContext?.functionArn === 'string'
  );
}

function isDeadLetter(body: unknown): body is DeadLetter {
  const letter = body as Partial<DeadLetter> | null;
  return (
    typeof letter === 'object' &&
    letter !== null &&
    (letter.source === 'indexer' || letter.source === 'rollup-writer') &&
    typeof letter.reason === 'string' &&
    typeof letter.sequenceNumber === 'string'
  );
}

/** Kinesis's bounds on a partition key, in characters. */
const MAX_PARTITION_KEY_LENGTH = 256;

/**
 * The letter's partition key, when Kinesis would take it. A malformed or hand-written letter may name
 * none, a number or an over-long one: its event then goes back under the key ingest gives it
 * (`redrive-cases.ts`), instead of failing the PutRecords of every copy it shares a request with.
 */
function partitionKeyOf(letter: DeadLetter): { partitionKey?: string } {
  const key: unknown = letter.partitionKey;
  return typeof key === 'string' && key.length > 0 && key.length <= MAX_PARTITION_KEY_LENGTH
    ? { partitionKey: key }
    : {};
}

function optionalString(body: object, name: string): Record<string, string> {
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value ? { [name]: value } : {};
}
