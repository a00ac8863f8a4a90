/**
 * POST /v1/events (API Gateway REST proxy integration): thin adapter over `ingest-core.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiKeyLookup } from '../shared/api-keys.js';
import { dynamoDocumentClient, kinesisClient } from '../shared/clients.js';
import { loadIngestConfig } from '../shared/config.js';
import { errorResult, jsonResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import { invocationDeadline, realTiming } from '../shared/retry.js';
import { type IngestDeps, ingestEvents } from './ingest-core.js';

/** Time kept back from the invocation's remaining time to answer after the last retry. */
const ANSWER_MARGIN_MS = 1_000;

const config = loadIngestConfig();
const deps: IngestDeps = {
  kinesis: kinesisClient(),
  streamName: config.streamName,
  lookupApiKey: createApiKeyLookup({ client: dynamoDocumentClient(), tableName: config.apiKeysTableName }),
  timestampBounds: config.timestampBounds,
  now: () => new Date(),
  newEventId: randomUUID,
  timing: realTiming,
  log: logger,
};

/** Lambda entry point of the ingest function. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  try {
    const result = await ingestEvents(
      {
        headers: event.headers,
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        sourceIp: event.requestContext?.identity?.sourceIp,
        userAgent: event.requestContext?.identity?.userAgent ?? undefined,
      },
      deps,
      invocationDeadline(context.getRemainingTimeInMillis(), ANSWER_MARGIN_MS, Date.now()),
    );
    return jsonResult(202, result);
  } catch (error) {
    return errorResult(error, logger);
  }
}
