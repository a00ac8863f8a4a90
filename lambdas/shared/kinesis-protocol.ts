/**
 * The Kinesis client's wire protocol (AWS JSON 1.1, the SDK's own) with a faster encoding of one
 * operation: PutRecords. The SDK's schema serializer writes every record's `Data` as base64 in a
 * JavaScript loop, byte by byte, and walks the record schema for each of 500 records, and its
 * deserializer walks the 500 results the same way: for ingest that cost more than validating the
 * events (docs/decisions.md, "Ingest speed"). Here each record's bytes are base64-encoded natively
 * (`Buffer#toString('base64')`) and the same JSON is assembled as text, and a successful answer, whose
 * members are all strings and numbers, is read with `JSON.parse`: identical members, identical values,
 * as a test checks against the SDK's own. Every other operation, error answers, and the signing,
 * retries and HTTP of PutRecords are the SDK's.
 */
import type { PutRecordsInput } from '@aws-sdk/client-kinesis';
import { AwsJson1_1Protocol } from '@aws-sdk/core/protocols';
import { collectBody } from '@smithy/core/protocols';
import type { MetadataBearer } from '@smithy/types';

type SerializeRequest = AwsJson1_1Protocol['serializeRequest'];
type DeserializeResponse = AwsJson1_1Protocol['deserializeResponse'];

const PUT_RECORDS = 'PutRecords';

/** AWS JSON 1.1 with the PutRecords body encoded natively. */
export class KinesisJsonProtocol extends AwsJson1_1Protocol {
  override async serializeRequest<Input extends object>(
    operationSchema: Parameters<SerializeRequest>[0],
    input: Input,
    context: Parameters<SerializeRequest>[2],
  ): ReturnType<SerializeRequest> {
    if (operationSchema.name !== PUT_RECORDS) return super.serializeRequest(operationSchema, input, context);
    // Headers, target and endpoint from the SDK, for a body without records; then the real body.
    const request = await super.serializeRequest(operationSchema, { ...input, Records: [] }, context);
    // Bytes, not text: the signer hashes them, the length is known, and the socket writes them as they are.
    request.body = putRecordsBody(input as PutRecordsInput);
    return request;
  }

  override async deserializeResponse<Output extends MetadataBearer>(
    operationSchema: Parameters<DeserializeResponse>[0],
    context: Parameters<DeserializeResponse>[1],
    response: Parameters<DeserializeResponse>[2],
  ): Promise<Output> {
    if (operationSchema.name !== PUT_RECORDS || this.isErrorResponse(response.statusCode)) {
      return super.deserializeResponse<Output>(operationSchema, context, response);
    }
    // As the SDK does: header names lower-cased for the metadata, the body read whole.
    for (const name of Object.keys(response.headers)) {
      const value = response.headers[name] as string;
      delete response.headers[name];
      response.headers[name.toLowerCase()] = value;
    }
    const bytes = await collectBody(response.body, context);
    const output =
      bytes.byteLength > 0
        ? JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
        : {};
    output.$metadata = this.deserializeMetadata(response);
    return output as Output;
  }
}

/** What opens a record with data, up to its base64 text: the first record's, and every other's. */
const FIRST_DATA_OPENING = Buffer.from('{"Data":"', 'latin1');
const NEXT_DATA_OPENING = Buffer.from(',{"Data":"', 'latin1');

/**
 * The JSON body of PutRecords, as the SDK's serializer writes it (members it would skip skipped), as
 * UTF-8 bytes written straight into one buffer: its size is known before a byte is written (base64 is
 * 4 characters per 3 bytes), so the ~300 KB body is never held as text, joined, or encoded again. Each
 * record is three writes: its opening (copied), its data's base64, and the rest of it as JSON text.
 */
export function putRecordsBody(input: PutRecordsInput): Buffer {
  const { Records = [], ...rest } = input;
  const head = JSON.stringify(rest);
  const opening = head === '{}' ? '{"Records":[' : `${head.slice(0, -1)},"Records":[`;
  // Each record's text after its base64: `","ExplicitHashKey":…,"PartitionKey":…}` (or all of it, without data).
  const tails: string[] = new Array(Records.length);
  let size = Buffer.byteLength(opening) + 2;
  Records.forEach((record, index) => {
    const data = record.Data;
    const withData = data != null;
    let tail = withData ? '"' : index === 0 ? '{' : ',{';
    let separator = withData ? ',' : '';
    if (record.ExplicitHashKey != null) {
      tail += `${separator}"ExplicitHashKey":${JSON.stringify(record.ExplicitHashKey)}`;
      separator = ',';
    }
    if (record.PartitionKey != null)
      tail += `${separator}"PartitionKey":${JSON.stringify(record.PartitionKey)}`;
    tails[index] = `${tail}}`;
    size += Buffer.byteLength(tails[index]);
    if (withData) {
      size += (index === 0 ? FIRST_DATA_OPENING : NEXT_DATA_OPENING).length;
      size += 4 * Math.ceil(data.byteLength / 3);
    }
  });
  const body = Buffer.allocUnsafe(size);
  let offset = body.write(opening, 0, 'utf8');
  Records.forEach((record, index) => {
    if (record.Data != null) {
      const dataOpening = index === 0 ? FIRST_DATA_OPENING : NEXT_DATA_OPENING;
      body.set(dataOpening, offset);
      offset += dataOpening.length;
      offset += body.write(base64(record.Data), offset, 'latin1');
    }
    offset += body.write(tails[index] as string, offset, 'utf8');
  });
  offset += body.write(']}', offset, 'latin1');
  // The size is computed, not measured: a mismatch would send a truncated or padded body.
  if (offset !== size) throw new Error(`PutRecords body is ${offset} bytes, ${size} expected`);
  return body;
}

/**
 * Base64 of the bytes, without copying them (a record's data is usually a view of a larger buffer,
 * and ingest's views are Buffers already: no wrapper is made for them).
 */
function base64(data: Uint8Array): string {
  return Buffer.isBuffer(data)
    ? data.toString('base64')
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}
