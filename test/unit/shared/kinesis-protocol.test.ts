/**
 * The natively encoded PutRecords (`kinesis-protocol.ts`) against the SDK's own AWS JSON 1.1 protocol:
 * the same request body member for member (binary data, unicode and optional members included) and
 * the same output from the same answer; every other operation is left to the SDK.
 */
import { Readable } from 'node:stream';
import { DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { HttpResponse } from '@smithy/core/transport';
import { describe, expect, it } from 'vitest';
import { KinesisJsonProtocol } from '../../../lambdas/shared/kinesis-protocol.js';

const ANSWER = JSON.stringify({
  FailedRecordCount: 1,
  Records: [
    {
      SequenceNumber: '49650000000000000000000000000000000000000000000000000001',
      ShardId: 'shardId-000000000000',
    },
    { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
  ],
  EncryptionType: 'KMS',
});

/** A request body as text: the SDK's own is a Uint8Array subclass whose `valueOf` warns. */
function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  const bytes = body as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** A Kinesis client that records each request's target and body and answers `answer`, offline. */
function recordingClient(protocol?: typeof KinesisJsonProtocol) {
  const requests: { target: string; body: string }[] = [];
  const client = new KinesisClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    ...(protocol ? { protocol } : {}),
    requestHandler: {
      handle: async (request: { headers: Record<string, string>; body: unknown }) => {
        requests.push({
          target: request.headers['x-amz-target'] ?? '',
          body: bodyText(request.body),
        });
        const body = request.headers['x-amz-target']?.endsWith('PutRecords')
          ? ANSWER
          : JSON.stringify({ StreamDescriptionSummary: { StreamName: 's', OpenShardCount: 2 } });
        return {
          response: new HttpResponse({
            statusCode: 200,
            headers: { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'req-1' },
            body: Readable.from([Buffer.from(body)]),
          }),
        };
      },
    } as never,
  });
  return { client, requests };
}

const INPUT = {
  StreamName: 'events',
  StreamARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events',
  Records: [
    { Data: Buffer.from('{"type":"page_view","path":"/é \\"quoted\\" 🚀"}'), PartitionKey: 'acct_a:evt-1' },
    {
      Data: new Uint8Array([0, 255, 1, 254, 10]),
      PartitionKey: 'acct_b:ünïcode',
      ExplicitHashKey: '170141183460469231731687303715884105728',
    },
    { Data: new Uint8Array(0), PartitionKey: 'empty' },
    { Data: undefined, PartitionKey: 'no data' },
  ],
};

describe('the natively encoded PutRecords', () => {
  it("sends the body the SDK's serializer sends", async () => {
    const sdk = recordingClient();
    const native = recordingClient(KinesisJsonProtocol);

    await sdk.client.send(new PutRecordsCommand(INPUT));
    await native.client.send(new PutRecordsCommand(INPUT));

    expect(native.requests[0]?.target).toBe('Kinesis_20131202.PutRecords');
    expect(JSON.parse(native.requests[0]?.body as string)).toEqual(
      JSON.parse(sdk.requests[0]?.body as string),
    );
  });

  it('reads the answer as the SDK reads it, failed entries and metadata included', async () => {
    const sdk = await recordingClient().client.send(new PutRecordsCommand(INPUT));
    const native = await recordingClient(KinesisJsonProtocol).client.send(new PutRecordsCommand(INPUT));

    expect(native).toEqual(sdk);
    expect(native.Records?.[1]?.ErrorCode).toBe('ProvisionedThroughputExceededException');
    expect(native.$metadata.requestId).toBe('req-1');
  });

  it('leaves every other operation to the SDK', async () => {
    const native = recordingClient(KinesisJsonProtocol);

    const answer = await native.client.send(new DescribeStreamSummaryCommand({ StreamName: 's' }));

    expect(JSON.parse(native.requests[0]?.body as string)).toEqual({ StreamName: 's' });
    expect(answer.StreamDescriptionSummary?.OpenShardCount).toBe(2);
  });
});
