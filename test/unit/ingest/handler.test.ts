import { Readable } from 'node:stream';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiRequest, lambdaContext } from '../../helpers/factories.js';

const kinesis = mockClient(KinesisClient);

/**
 * Answers the admission's DynamoDB calls (made through the functions' HTTP handler, not an SDK client)
 * with `status` and `body`, keeping the requests.
 */
function answerDynamoDb(status: number, body: Record<string, unknown>): HttpRequest[] {
  const requests: HttpRequest[] = [];
  vi.spyOn(NodeHttpHandler.prototype, 'handle').mockImplementation(async (request) => {
    requests.push(request as HttpRequest);
    return {
      response: { statusCode: status, headers: {}, body: Readable.from([Buffer.from(JSON.stringify(body))]) },
    };
  });
  return requests;
}

/** What a function's environment holds in Lambda (the local stack sets the same). */
function stubLambdaEnvironment(): void {
  vi.stubEnv('EVENTS_STREAM_NAME', 'events');
  vi.stubEnv('ADMISSION_TABLE_NAME', 'admission');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
}

describe('ingest handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
    kinesis.reset();
    vi.restoreAllMocks();
  });

  it('fails the cold start naming a missing variable', async () => {
    // Prepare
    vi.stubEnv('EVENTS_STREAM_NAME', '');

    // Act & Assess
    await expect(import('../../../lambdas/ingest/handler.js')).rejects.toThrow(
      'EVENTS_STREAM_NAME environment variable is not set',
    );
  });

  it('answers 202 with the counts for a POST the authorizer let through, with CORS headers', async () => {
    // Prepare
    stubLambdaEnvironment();
    const admissions = answerDynamoDb(200, { Attributes: { tat: { N: '1' } } });
    kinesis
      .on(PutRecordsCommand)
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] });
    const { handler } = await import('../../../lambdas/ingest/handler.js');

    // Act
    const result = await handler(
      apiRequest({
        body: { type: 'page_view' },
        headers: { Origin: 'https://shop.example' },
        authorizer: { accountId: 'acct-1', scope: 'write', keyId: 'key_1', principalId: 'key_1' },
      }),
      lambdaContext({ remainingMs: 5_000 }),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(result.headers?.['Access-Control-Allow-Origin']).toBe('*');
    // The key's events were counted against its own item of the admission table.
    expect(admissions).toHaveLength(1);
    expect(admissions[0]?.headers['x-amz-target']).toBe('DynamoDB_20120810.UpdateItem');
    expect(JSON.parse(String(admissions[0]?.body))).toMatchObject({
      TableName: 'admission',
      Key: { keyId: { S: 'acct-1/key_1' } },
    });
  });

  it("answers 429 by the key's event limits as the authorizer named them, writing nothing", async () => {
    // Prepare
    stubLambdaEnvironment();
    const now = Date.now() * 1_000;
    // The key's bucket is full for the next 10 s (its burst at 20 events/s is 200 events).
    answerDynamoDb(400, {
      __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
      message: 'The conditional request failed',
      Item: { keyId: { S: 'key_1' }, tat: { N: String(now + 10_000_000) } },
    });
    const { handler } = await import('../../../lambdas/ingest/handler.js');

    // Act
    const result = await handler(
      apiRequest({
        body: { events: [{ type: 'a' }, { type: 'b' }] },
        // API Gateway hands the authorizer's numbers over as text.
        authorizer: {
          accountId: 'acct-1',
          scope: 'write',
          keyId: 'key_1',
          eventRateLimit: '20',
          eventBurstLimit: '200',
        },
      }),
      lambdaContext({ remainingMs: 5_000 }),
    );

    // Assess
    expect(result.statusCode).toBe(429);
    expect(result.headers).toMatchObject({
      'Retry-After': '1',
      'X-RateLimit-Limit': '20',
      'X-RateLimit-Remaining': '0',
    });
    expect(JSON.parse(result.body)).toMatchObject({
      message: expect.stringContaining('20 events per second, bursts of 200'),
      accepted: 0,
      event_rate_limit: 20,
      events_admissible_now: 0,
    });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('names the unacknowledged events in its 503 when the clock is stepped back while Kinesis refuses them', async () => {
    // Prepare: Kinesis takes the first event and never the second; at its first answer NTP steps the
    // clock back an hour
    stubLambdaEnvironment();
    answerDynamoDb(200, { Attributes: { tat: { N: '1' } } });
    const wallClock = Date.now.bind(Date);
    let stepMs = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => wallClock() - stepMs);
    kinesis.on(PutRecordsCommand).callsFake(async (input: { Records: unknown[] }) => {
      stepMs = 3_600_000;
      const refused = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' };
      return input.Records.length === 2
        ? { FailedRecordCount: 1, Records: [{ SequenceNumber: '1', ShardId: 's' }, refused] }
        : { FailedRecordCount: 1, Records: [refused] };
    });
    const { handler } = await import('../../../lambdas/ingest/handler.js');

    // Act
    const result = await handler(
      apiRequest({
        body: { events: [{ type: 'a' }, { type: 'b' }] },
        authorizer: { accountId: 'acct-1', scope: 'write', keyId: 'key_1' },
      }),
      lambdaContext({ remainingMs: 3_000 }),
    );

    // Assess: the invocation's own deadline ended the retries, not the function's timeout (a bare 503
    // that names nothing: the client would resend the event Kinesis took, under a new id)
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toMatchObject({
      accepted: 1,
      failed: [{ index: 1, error_code: 'ProvisionedThroughputExceededException' }],
    });
  });

  it("falls back on the stack's default event limits when the authorizer named none", async () => {
    // Prepare
    stubLambdaEnvironment();
    vi.stubEnv('KEY_EVENT_RATE_LIMIT', '30');
    vi.stubEnv('KEY_EVENT_BURST_LIMIT', '600');
    answerDynamoDb(400, {
      __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
      message: 'The conditional request failed',
      Item: { keyId: { S: 'acct-1/key_1' }, tat: { N: String(Date.now() * 1_000 + 60_000_000) } },
    });
    const { handler } = await import('../../../lambdas/ingest/handler.js');

    // Act
    const result = await handler(
      apiRequest({
        body: { type: 'a' },
        authorizer: { accountId: 'acct-1', scope: 'write', keyId: 'key_1' },
      }),
      lambdaContext({ remainingMs: 5_000 }),
    );

    // Assess
    expect(result.statusCode).toBe(429);
    expect(JSON.parse(result.body)).toMatchObject({ event_rate_limit: 30, event_burst_limit: 600 });
  });

  it('maps a typed error to its answer, CORS headers included, and never serves a request without a caller', async () => {
    // Prepare
    stubLambdaEnvironment();
    vi.stubEnv('CORS_ALLOWED_ORIGINS', 'https://shop.example');
    const { handler } = await import('../../../lambdas/ingest/handler.js');

    // Act
    const unsupported = await handler(
      apiRequest({
        body: 'a=1',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://shop.example' },
        authorizer: { accountId: 'acct-1', scope: 'write' },
      }),
      lambdaContext(),
    );
    const anonymous = await handler(apiRequest({ body: { type: 'a' } }), lambdaContext());

    // Assess
    expect(unsupported.statusCode).toBe(415);
    expect(unsupported.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'https://shop.example',
      Vary: 'Origin',
    });
    expect(anonymous.statusCode).toBe(401);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('refuses events posted with a live token (it stands for its read key only to read), writing nothing', async () => {
    // Prepare
    stubLambdaEnvironment();
    const admissions = answerDynamoDb(200, { Attributes: { tat: { N: '1' } } });
    const { handler } = await import('../../../lambdas/ingest/handler.js');

    // Act
    const result = await handler(
      apiRequest({
        body: { type: 'page_view' },
        authorizer: { accountId: 'acct-1', scope: 'read', keyId: 'key_1', credential: 'live-token' },
      }),
      lambdaContext(),
    );

    // Assess
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body).message).toMatch(/a live token may only read: post events with a key/);
    expect(admissions).toHaveLength(0);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });
});
