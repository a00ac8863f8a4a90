import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashApiKey } from '../../../lambdas/shared/api-keys.js';
import { apiRequest, lambdaContext } from '../../helpers/factories.js';

const kinesis = mockClient(KinesisClient);
const dynamo = mockClient(DynamoDBDocumentClient);

describe('ingest handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
    kinesis.reset();
    dynamo.reset();
  });

  it('fails the cold start naming a missing variable', async () => {
    // Prepare
    vi.stubEnv('EVENTS_STREAM_NAME', '');

    // Act & Assess
    await expect(import('../../../lambdas/ingest/handler.js')).rejects.toThrow(
      'EVENTS_STREAM_NAME environment variable is not set',
    );
  });

  it('answers 202 with the counts for a POST with a write key', async () => {
    // Prepare
    vi.stubEnv('EVENTS_STREAM_NAME', 'events');
    vi.stubEnv('API_KEYS_TABLE_NAME', 'api-keys');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    dynamo
      .on(GetCommand, { Key: { keyHash: hashApiKey('wk-1') } })
      .resolves({ Item: { accountId: 'acct-1', scope: 'write' } });
    kinesis
      .on(PutRecordsCommand)
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] });
    const { handler } = await import('../../../lambdas/ingest/handler.js');

    // Act
    const result = await handler(
      apiRequest({ body: { type: 'page_view' }, headers: { 'x-api-key': 'wk-1' } }),
      lambdaContext({ remainingMs: 5_000 }),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  });
});
