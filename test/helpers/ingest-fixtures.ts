/**
 * The ingest core's dependencies for unit tests: a fixed clock, generated ids in order, and requests
 * built as API Gateway builds them behind the authorizer (which names the caller: by default the write
 * key of `acct-1`).
 */
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import type { IngestDeps, IngestRequest } from '../../lambdas/ingest/ingest-core.js';
import type { ApiKeyRecord } from '../../lambdas/shared/api-keys.js';
import { DEFAULT_KEY_EVENT_LIMITS } from '../../lambdas/shared/config.js';
import { HttpError } from '../../lambdas/shared/http.js';
import { apiRequest, fakeTiming, silentLog } from './factories.js';

/** The callers the tests post as. */
export const CALLERS = {
  write: { accountId: 'acct-1', scope: 'write', keyId: 'key_write' },
  read: { accountId: 'acct-1', scope: 'read', keyId: 'key_read' },
} as const satisfies Record<string, ApiKeyRecord>;

/** Receipt time of every request. */
export const INGEST_NOW = '2026-01-15T10:30:00.000Z';

export function ingestDeps(overrides: Partial<IngestDeps> = {}): IngestDeps {
  let id = 0;
  return {
    kinesis: new KinesisClient({ region: 'eu-west-1' }),
    streamName: 'events',
    // Admission has its own tests (event-admission.test.ts); here every request is within its limit.
    admit: async () => ({ admitted: true }),
    refund: async () => {},
    timestampBounds: { maxPastMs: 7 * 24 * 3600 * 1000, maxFutureMs: 3600 * 1000 },
    now: () => new Date(INGEST_NOW),
    newEventId: () => `gen-${++id}`,
    timing: fakeTiming(),
    log: silentLog,
    ...overrides,
  };
}

/** A POST of `body` by `caller`, as the ingest handler passes it to the core. */
export function ingestRequest(
  body: unknown,
  headers: Record<string, string> = {},
  caller: ApiKeyRecord = CALLERS.write,
): IngestRequest {
  const event = apiRequest({ body, headers });
  return {
    caller,
    eventLimits: DEFAULT_KEY_EVENT_LIMITS,
    headers: event.headers,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
    sourceIp: '203.0.113.7',
    userAgent: 'test-agent/1.0',
  };
}

/** The `HttpError` a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function httpErrorOf(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
}

/** The mocked Kinesis of a test file (aws-sdk-client-mock patches every client of the class). */
export const mockedKinesis = () => mockClient(KinesisClient);

/** Makes the mocked Kinesis acknowledge every record of every PutRecords. */
export function acknowledgeAll(kinesis: ReturnType<typeof mockedKinesis>): void {
  kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
    FailedRecordCount: 0,
    Records: input.Records.map((_, index) => ({ SequenceNumber: String(index), ShardId: 'shardId-0' })),
  }));
}

/** The deadline of a request: five seconds after receipt. */
export const ingestDeadline = () => Date.parse(INGEST_NOW) + 5_000;
