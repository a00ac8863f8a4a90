/**
 * POST /v1/events (API Gateway REST proxy integration, behind the API authorizer): thin adapter over
 * `ingest-core.ts`, wrapped in the house middleware (`apiHandler`: log context, error answers, CORS).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { apiHandler } from '../shared/api-handler.js';
import { callerEventLimits, posterOf } from '../shared/caller.js';
import { loadIngestConfig } from '../shared/config.js';
import { dynamoDbCall } from '../shared/dynamodb-json.js';
import { jsonResult } from '../shared/http.js';
import { kinesisClient } from '../shared/kinesis-client.js';
import { logger } from '../shared/logger.js';
import { METRIC, metrics } from '../shared/metrics.js';
import { invocationDeadline, steadyTiming } from '../shared/retry.js';
import { createEventAdmission } from './event-admission.js';
import { createEventRefund } from './event-refund.js';
import { type IngestDeps, ingestEvents } from './ingest-core.js';

/** Time kept back from the invocation's remaining time to answer after the last retry. */
const ANSWER_MARGIN_MS = 1_000;

const config = loadIngestConfig();
const admissionTable = {
  call: dynamoDbCall(),
  tableName: config.admissionTableName,
  now: Date.now,
  log: logger,
};
const deps: IngestDeps = {
  kinesis: kinesisClient(),
  streamName: config.streamName,
  admit: createEventAdmission({
    ...admissionTable,
    onUnchecked: () => metrics.count(METRIC.admissionUnchecked, 1),
  }),
  refund: createEventRefund(admissionTable),
  timestampBounds: config.timestampBounds,
  now: () => new Date(),
  newEventId: randomUUID,
  // Its clock times only the retries of PutRecords, against the invocation's deadline.
  timing: steadyTiming,
  log: logger,
};

/** Lambda entry point of the ingest function. */
export const handler = apiHandler(
  async (event: APIGatewayProxyEvent, context: Context) => {
    const result = await ingestEvents(
      {
        caller: posterOf(event.requestContext?.authorizer),
        // The authorizer always names them; the stack's defaults stand in for an authorizer that did not.
        eventLimits: callerEventLimits(event.requestContext?.authorizer) ?? config.defaultEventLimits,
        headers: event.headers,
        multiValueHeaders: event.multiValueHeaders,
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        sourceIp: event.requestContext?.identity?.sourceIp,
        userAgent: event.requestContext?.identity?.userAgent ?? undefined,
      },
      deps,
      invocationDeadline(context.getRemainingTimeInMillis(), ANSWER_MARGIN_MS, steadyTiming.now()),
    );
    return jsonResult(202, result);
  },
  { corsOrigins: config.corsOrigins },
);
