/**
 * DynamoDB's JSON protocol (AWS JSON 1.0) for one function whose bundle cannot carry the SDK's DynamoDB
 * client: ingest, whose admission check (`lambdas/ingest/event-admission.ts`) is one `UpdateItem` per
 * request. The SDK client would add 29 KB (its schemas, error classes and endpoint rules) to a bundle
 * already at 289 KB of the 300 KB budget; this adds about 1 KB, because everything it does is done by
 * SDK parts the bundle already holds for Kinesis: the request is signed by the SDK's own SigV4 signer
 * (`@smithy/signature-v4`) with the environment's credentials (as every function's clients are), and
 * sent through the functions' one HTTP handler (`clients.ts`). A unit test holds its signed requests
 * equal, header for header, to the SDK DynamoDB client's. Retries are the caller's: admission tries
 * once more after a reset connection, a 5xx or throttling, then fails open (docs/decisions.md,
 * "Per-key event limits").
 *
 * The endpoint is the one the SDK would use: `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`,
 * else the region's endpoint in its partition (`amazonaws.com.cn` in China…), FIPS or dual-stack as
 * `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT` ask, by DynamoDB's endpoint rules over the
 * partition table the Kinesis client's own endpoint rules already bundle.
 */
import { partition } from '@aws-sdk/core/client';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { sharedHttpHandler } from './clients.js';

/** The operations called this way. */
export type DynamoDbOperation = 'UpdateItem' | 'GetItem';

/** What DynamoDB answered with an error status: its error type (`ConditionalCheckFailedException`…) and body. */
export class DynamoDbError extends Error {
  constructor(
    readonly type: string,
    readonly statusCode: number,
    readonly body: Record<string, unknown>,
  ) {
    super(`DynamoDB answered ${statusCode} ${type}: ${String(body.message ?? body.Message ?? '')}`);
    this.name = 'DynamoDbError';
  }
}

/** Whether `error` is DynamoDB refusing a write because its condition did not hold. */
export function isConditionFailure(error: unknown): error is DynamoDbError {
  return error instanceof DynamoDbError && error.type === 'ConditionalCheckFailedException';
}

/** Calls an operation with its input in DynamoDB JSON, resolving with its output. */
export type DynamoDbCall = (
  operation: DynamoDbOperation,
  input: Record<string, unknown>,
  abortSignal?: AbortSignal,
) => Promise<Record<string, unknown>>;

type Env = Record<string, string | undefined>;

/** A call against the environment's region and endpoint, with its credentials. */
export function dynamoDbCall(env: Env = process.env): DynamoDbCall {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION environment variable is not set');
  const endpoint = new URL(
    env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || regionalEndpoint(region, env),
  );
  const signer = new SignatureV4({
    service: 'dynamodb',
    region,
    // Read at each signing, as the SDK's environment provider (`lambda-credentials.ts`) reads them.
    credentials: async () => credentialsOf(env),
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: true,
  });
  return async (operation, input, abortSignal) => {
    const body = JSON.stringify(input);
    const request = new HttpRequest({
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      method: 'POST',
      path: endpoint.pathname,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        'content-length': String(Buffer.byteLength(body)),
        host: endpoint.host,
      },
      body,
    });
    const signed = await signer.sign(request);
    const { response } = await sharedHttpHandler().handle(signed as HttpRequest, {
      ...(abortSignal ? { abortSignal } : {}),
    });
    const text = await readText(response.body as NodeJS.ReadableStream | undefined, operation);
    const output = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    if (response.statusCode >= 300) {
      // `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` → the name after `#`.
      const type = String(output.__type ?? 'UnknownError');
      throw new DynamoDbError(type.slice(type.lastIndexOf('#') + 1), response.statusCode, output);
    }
    return output;
  };
}

/**
 * DynamoDB's endpoint in `region`, as its SDK endpoint rules resolve it: `dynamodb-fips` for FIPS
 * (except in GovCloud, whose regular endpoints are FIPS already), the partition's dual-stack domain for
 * dual-stack. A unit test holds it equal to the SDK client's endpoint in every partition.
 */
function regionalEndpoint(region: string, env: Env): string {
  const { name, dnsSuffix, dualStackDnsSuffix } = partition(region);
  const fips = env.AWS_USE_FIPS_ENDPOINT?.toLowerCase() === 'true';
  const dualStack = env.AWS_USE_DUALSTACK_ENDPOINT?.toLowerCase() === 'true';
  const host = fips && !(name === 'aws-us-gov' && !dualStack) ? 'dynamodb-fips' : 'dynamodb';
  return `https://${host}.${region}.${dualStack ? dualStackDnsSuffix : dnsSuffix}`;
}

/** The credentials Lambda (or the local stack) puts in the environment. */
function credentialsOf(env: Env) {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables are not set');
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/**
 * The most an answer of these calls is read: the admission table's items (all these calls return) are
 * a few dozen bytes. A longer answer (a proxy's page, a broken endpoint) fails the call rather than
 * fill the function's memory until the call's time limit.
 */
const MAX_ANSWER_BYTES = 1024 * 1024;

async function readText(
  stream: NodeJS.ReadableStream | undefined,
  operation: DynamoDbOperation,
): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    bytes += buffer.length;
    // Leaving the loop early destroys the stream, and with it the connection.
    if (bytes > MAX_ANSWER_BYTES)
      throw new Error(`DynamoDB's answer of ${operation} is over ${MAX_ANSWER_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
