/**
 * Event factories for unit tests: Lambda inputs built from intent ("a Kinesis record holding this
 * event") instead of pasted JSON.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { StoredEvent } from '../../lambdas/shared/event-schema.js';
import type { Log } from '../../lambdas/shared/logger.js';
import type { Timing } from '../../lambdas/shared/retry.js';
import type { ConsumerDeps } from '../../lambdas/shared/stream-consumer.js';
import { RecordedMetrics } from './recorded-metrics.js';

let sequence = 0;

/** A stored event as ingest would have written it. */
export function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  sequence += 1;
  return {
    event_id: `evt-${sequence}`,
    account_id: 'acct-1',
    type: 'page_view',
    timestamp: '2026-01-15T10:20:30.000Z',
    received_at: '2026-01-15T10:20:31.000Z',
    ...overrides,
  };
}

/** A Kinesis record carrying `event` (JSON-serialized; a string is taken as raw data). */
export function kinesisRecord(
  event: unknown,
  seq: string = String(++sequence).padStart(20, '0'),
): KinesisStreamRecord {
  const data = typeof event === 'string' ? event : JSON.stringify(event);
  return {
    awsRegion: 'eu-west-1',
    eventID: `shardId-000000000000:${seq}`,
    eventName: 'aws:kinesis:record',
    eventSource: 'aws:kinesis',
    eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events',
    eventVersion: '1.0',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/test',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'pk',
      sequenceNumber: seq,
      approximateArrivalTimestamp: 1_768_472_431,
      data: Buffer.from(data, 'utf8').toString('base64'),
    },
  };
}

/** A Kinesis batch of the events, with sequence numbers `1`, `2`, ... (zero-padded). */
export function kinesisEvent(events: unknown[]): KinesisStreamEvent {
  return { Records: events.map((event, index) => kinesisRecord(event, String(index + 1).padStart(20, '0'))) };
}

/** An API Gateway REST (v1) proxy request. */
export function apiRequest(options: {
  body?: unknown;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  sourceIp?: string;
  userAgent?: string;
  /** The context the API authorizer answered (`accountId`, `scope`, ...); none when absent. */
  authorizer?: Record<string, string | number>;
}): APIGatewayProxyEvent {
  const body =
    options.body === undefined
      ? null
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  return {
    resource: '/v1/events',
    path: '/v1/events',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: options.queryStringParameters ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: options.authorizer ?? null,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      path: '/prod/v1/events',
      stage: 'prod',
      requestId: 'request-1',
      requestTimeEpoch: 1_768_472_431_000,
      resourceId: 'resource',
      resourcePath: '/v1/events',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: options.sourceIp ?? '203.0.113.7',
        user: null,
        userAgent: options.userAgent ?? 'test-agent/1.0',
        userArn: null,
      },
    },
  };
}

/** A Lambda context whose remaining time is `remainingMs`. */
export function lambdaContext(options: { remainingMs?: number } = {}): Context {
  const remainingMs = options.remainingMs ?? 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:test-function',
    memoryLimitInMB: '512',
    awsRequestId: 'aws-request-1',
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A logger that says nothing. */
/** The stats API's cursor key in unit tests (at least 32 characters, as the config requires). */
export const TEST_CURSOR_KEY = Buffer.from('unit-test-cursor-signing-key-0123456789', 'utf8');

export const silentLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Log;

/**
 * A fake clock: `sleep` advances `now` instantly, so retries with backoff run in no time and a
 * deadline is reached after a predictable number of attempts.
 */
export function fakeTiming(startMs = Date.parse('2026-01-15T10:30:00.000Z')): Timing & { slept: number[] } {
  let now = startMs;
  const slept: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random: () => 0.5,
    slept,
  };
}

/** What the stream-consumer skeleton needs, with a dead-letter queue (mock SQS in the test), at `now`. */
export function consumerDeps(
  now: number,
  metrics = new RecordedMetrics(),
): ConsumerDeps & { metrics: RecordedMetrics } {
  return {
    sqs: new SQSClient({ region: 'eu-west-1' }),
    deadLetterQueueUrl: 'http://sqs/dead-letter',
    timing: fakeTiming(now),
    log: silentLog,
    metrics,
  };
}
