import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiRequest, lambdaContext } from '../../helpers/factories.js';

const kinesis = mockClient(KinesisClient);

describe('ingest handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
    kinesis.reset();
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
    vi.stubEnv('EVENTS_STREAM_NAME', 'events');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
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
  });

  it('maps a typed error to its answer, CORS headers included, and never serves a request without a caller', async () => {
    // Prepare
    vi.stubEnv('EVENTS_STREAM_NAME', 'events');
    vi.stubEnv('CORS_ALLOWED_ORIGINS', 'https://shop.example');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
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
});
