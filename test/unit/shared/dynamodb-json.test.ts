/**
 * DynamoDB's JSON protocol without the SDK client (ingest's admission check): the request it sends is
 * the one the SDK's DynamoDB client sends for the same input (target, content type, endpoint, body),
 * its signature is the one an independent SigV4 implementation computes (`sigv4-signer.ts`), and an
 * error answer becomes a `DynamoDbError` with DynamoDB's error type and body.
 */
import { Readable } from 'node:stream';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbError, dynamoDbCall } from '../../../lambdas/shared/dynamodb-json.js';
import { sign } from '../../../lambdas/shared/sigv4-signer.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
};
const INPUT = {
  TableName: 'admission',
  Key: { keyId: { S: 'key_1' } },
  UpdateExpression: 'SET tat = :next',
  ConditionExpression: 'attribute_not_exists(tat) OR tat <= :now',
  ExpressionAttributeValues: { ':next': { N: '1768473000000000' }, ':now': { N: '1768472999000000' } },
  ReturnValues: 'UPDATED_NEW' as const,
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
};

function answer(status: number, body: unknown) {
  return {
    response: { statusCode: status, headers: {}, body: Readable.from([Buffer.from(JSON.stringify(body))]) },
  };
}

/** Sends through `dynamoDbCall`, answering with `status` and `body`; resolves with the request sent. */
async function ourRequest(status = 200, body: unknown = {}, env: Record<string, string> = ENV) {
  const requests: HttpRequest[] = [];
  vi.spyOn(NodeHttpHandler.prototype, 'handle').mockImplementation(async (request) => {
    requests.push(request as HttpRequest);
    return answer(status, body);
  });
  const output = await dynamoDbCall(env)('UpdateItem', INPUT).catch((error: unknown) => error);
  return { request: requests[0] as HttpRequest, output };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('DynamoDB JSON calls', () => {
  it("sends what the SDK's DynamoDB client sends for the same input", async () => {
    let sdkRequest: HttpRequest | undefined;
    const sdk = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      requestHandler: {
        handle: async (request: HttpRequest) => {
          sdkRequest = request;
          return answer(200, {});
        },
      },
    });
    await sdk.send(new UpdateItemCommand(INPUT));

    const { request } = await ourRequest();

    const sdkSent = sdkRequest as HttpRequest;
    for (const sent of [request, sdkSent]) expect(sent.hostname).toBe('dynamodb.eu-west-1.amazonaws.com');
    expect([request.protocol, request.method, request.path]).toEqual([
      sdkSent.protocol,
      sdkSent.method,
      sdkSent.path,
    ]);
    for (const header of ['content-type', 'x-amz-target', 'x-amz-security-token']) {
      expect(request.headers[header]).toBe(sdkSent.headers[header]);
    }
    expect(JSON.parse(String(request.body))).toEqual(
      JSON.parse(new TextDecoder().decode(sdkSent.body as Uint8Array)),
    );
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[^,]*host;[^,]*x-amz-target/,
    );
  });

  it('signs as an independent SigV4 implementation does', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-15T10:30:00.000Z'), toFake: ['Date'] });

    const { request } = await ourRequest();

    const { authorization, ...unsigned } = request.headers;
    const independent = sign(
      {
        service: 'dynamodb',
        region: 'eu-west-1',
        method: request.method,
        host: request.hostname,
        path: request.path,
        headers: unsigned,
        body: String(request.body),
      },
      CREDENTIALS,
    );
    expect(authorization).toBe(independent.headers.Authorization);
    expect(request.headers['x-amz-date']).toBe('20260115T103000Z');
  });

  it('sends to the endpoint the SDK would: AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL', async () => {
    const local = await ourRequest(200, {}, { ...ENV, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' });
    vi.restoreAllMocks();
    const shared = await ourRequest(200, {}, { ...ENV, AWS_ENDPOINT_URL: 'http://localhost:4566' });

    expect([local.request.protocol, local.request.hostname, local.request.port]).toEqual([
      'http:',
      '127.0.0.1',
      8000,
    ]);
    expect([shared.request.hostname, shared.request.port, shared.request.headers.host]).toEqual([
      'localhost',
      4566,
      'localhost:4566',
    ]);
  });

  it("sends to the SDK's regional endpoint in every partition, with AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT", async () => {
    const cases = [
      ['eu-west-1', false, false],
      ['eu-west-1', true, false],
      ['eu-west-1', false, true],
      ['eu-west-1', true, true],
      ['cn-north-1', false, false],
      ['cn-north-1', false, true],
      ['us-gov-west-1', true, false],
      ['us-gov-west-1', false, false],
      ['us-gov-west-1', true, true],
      ['us-iso-east-1', false, false],
    ] as const;
    const sent: string[] = [];
    const expected: string[] = [];
    for (const [region, fips, dualStack] of cases) {
      vi.restoreAllMocks();
      const { request } = await ourRequest(
        200,
        {},
        {
          ...ENV,
          AWS_REGION: region,
          AWS_USE_FIPS_ENDPOINT: String(fips),
          AWS_USE_DUALSTACK_ENDPOINT: String(dualStack),
        },
      );
      sent.push(`${request.protocol}//${request.headers.host}${request.path}`);
      const sdk = new DynamoDBClient({ region, useFipsEndpoint: fips, useDualstackEndpoint: dualStack });
      const { url } = sdk.config.endpointProvider({ Region: region, UseFIPS: fips, UseDualStack: dualStack });
      expected.push(url.href);
    }

    expect(sent).toEqual(expected);
  });

  it("resolves with the answer's members, and turns an error answer into its type and body", async () => {
    const ok = await ourRequest(200, { Attributes: { tat: { N: '5' } } });
    vi.restoreAllMocks();
    const failed = await ourRequest(400, {
      __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
      message: 'The conditional request failed',
      Item: { tat: { N: '7' } },
    });

    expect(ok.output).toEqual({ Attributes: { tat: { N: '5' } } });
    expect(failed.output).toBeInstanceOf(DynamoDbError);
    expect(failed.output).toMatchObject({
      type: 'ConditionalCheckFailedException',
      statusCode: 400,
      body: { Item: { tat: { N: '7' } } },
    });
  });

  it('refuses an answer larger than any DynamoDB answer of these calls, without reading it all', async () => {
    let chunksRead = 0;
    const endless = new Readable({
      read() {
        chunksRead += 1;
        this.push(Buffer.alloc(64 * 1024, 32));
      },
    });
    vi.spyOn(NodeHttpHandler.prototype, 'handle').mockResolvedValue({
      response: { statusCode: 200, headers: {}, body: endless },
    } as never);

    const output = await dynamoDbCall(ENV)('UpdateItem', INPUT).catch((error: unknown) => error);

    expect(String(output)).toMatch(/answer of UpdateItem is over \d+ bytes/);
    expect(chunksRead).toBeLessThan(64);
    expect(endless.destroyed).toBe(true);
  });

  it('fails at creation without a region, and at a call without credentials', async () => {
    expect(() => dynamoDbCall({})).toThrow('AWS_REGION environment variable is not set');
    const { output } = await ourRequest(200, {}, { AWS_REGION: 'eu-west-1' });
    expect(String(output)).toContain(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables are not set',
    );
  });
});
