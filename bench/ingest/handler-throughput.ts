/**
 * The ingest handler's throughput, as Lambda runs it: the bundled handler (middy, Powertools, the real
 * Kinesis SDK client against the instant stub), one request at a time, each body base64-encoded as API
 * Gateway delivers it (every media type is binary), against the floor of `JSON.parse` and
 * `JSON.stringify` of the same bodies: the least any handler that reads and re-serializes events does.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { LocalResourceEndpoints } from '../../local/function-environment.js';
import { localFunctionEnvironment } from '../../local/function-environment.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Loads the ingest bundle with its environment pointed at the stub. */
export function loadIngestHandler(file: string, resources: LocalResourceEndpoints): Handler {
  Object.assign(process.env, localFunctionEnvironment('ingest', resources), {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // One EMF line per invocation (a few hundred bytes per 500 events) would bury the bench's own output
    // under thousands of lines; serializing and writing it costs well under 1% of the handler's time.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  return (createRequire(import.meta.url)(file) as { handler: Handler }).handler;
}

/**
 * A proxy event carrying `base64Body` (`base64Bodies`): the encoding is API Gateway's work, done once
 * before the rounds, not the handler's.
 */
export function proxyEvent(base64Body: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/v1/events',
    resource: '/v1/events',
    headers: { 'Content-Type': 'application/json', 'User-Agent': 'bench' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: base64Body,
    isBase64Encoded: true,
    requestContext: {
      authorizer: { accountId: 'acct_bench', scope: 'write', keyId: 'key_bench' },
      identity: { sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
    },
  } as unknown as APIGatewayProxyEvent;
}

/** The bodies as API Gateway hands them over: every media type is binary, so base64-encoded. */
export function base64Bodies(bodies: string[]): string[] {
  return bodies.map((body) => Buffer.from(body, 'utf8').toString('base64'));
}

function context(): Context {
  return {
    functionName: 'ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ingest',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/ingest',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
  } as Context;
}

/** Posts every event once; throws unless each answer is a 202 accepting all of the body's events. */
export async function postAll(
  handler: Handler,
  events: APIGatewayProxyEvent[],
  perBody: number,
): Promise<void> {
  for (const event of events) {
    const result = await handler(event, context());
    const accepted =
      result.statusCode === 202 ? (JSON.parse(result.body) as { accepted: number }).accepted : -1;
    if (accepted !== perBody)
      throw new Error(`ingest answered ${result.statusCode}: ${result.body.slice(0, 300)}`);
  }
}

/** The floor: parse each body and serialize it again. */
export function floor(bodies: string[]): number {
  let length = 0;
  for (const body of bodies) length += JSON.stringify(JSON.parse(body)).length;
  return length;
}

/**
 * The least any handler that writes these events to Kinesis does: the floor, with each event's JSON
 * UTF-8-encoded as a record and the body's records put with the functions' own Kinesis client (native
 * PutRecords encoding, SigV4, HTTP) against the same stub. No validation, no server fields, no
 * decoding of the proxy event's body. What separates the handler from this is the handler's own work;
 * what separates this from the floor, the write that no handler can skip.
 */
export async function writeFloor(
  bodies: string[],
  kinesis: KinesisClient,
  streamName: string,
): Promise<void> {
  for (const body of bodies) {
    const { events } = JSON.parse(body) as { events: { event_id: string }[] };
    const Records = events.map((event) => ({
      Data: Buffer.from(JSON.stringify(event)),
      PartitionKey: event.event_id,
    }));
    const answer = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records }));
    if (answer.FailedRecordCount) throw new Error(`the stub refused ${answer.FailedRecordCount} records`);
  }
}
