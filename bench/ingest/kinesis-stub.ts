/**
 * An instant Kinesis for bench:ingest: an HTTP server on 127.0.0.1 that answers every PutRecords at
 * once with a success for each record, so the bench times the handler and the real SDK client (signing,
 * serialization, HTTP), not an emulator. It counts records by their `PartitionKey` members: the only
 * work it adds to the process. It stands in for DynamoDB too, admitting every admission `UpdateItem`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KinesisStub {
  url: string;
  /** Records acknowledged so far. */
  records(): number;
  close(): Promise<void>;
}

const RECORD =
  '{"SequenceNumber":"49650000000000000000000000000000000000000000000000000001","ShardId":"shardId-000000000000"}';

const PARTITION_KEY = Buffer.from('"PartitionKey"');

/** The answer to an admission's conditional write that succeeded. */
const ADMITTED = '{"Attributes":{"tat":{"N":"1"}}}';

/** Counted on the bytes as received: decoding a ~700 KB body to text per request would be the stub's work, not the handler's. */
function countRecords(body: Buffer): number {
  let count = 0;
  for (
    let at = body.indexOf(PARTITION_KEY);
    at !== -1;
    at = body.indexOf(PARTITION_KEY, at + PARTITION_KEY.length)
  )
    count += 1;
  return count;
}

export async function startKinesisStub(): Promise<KinesisStub> {
  let acknowledged = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target === 'DynamoDB_20120810.UpdateItem') {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(ADMITTED);
        return;
      }
      if (!target.endsWith('.PutRecords')) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
        return;
      }
      const count = countRecords(Buffer.concat(chunks));
      acknowledged += count;
      const body = `{"FailedRecordCount":0,"Records":[${Array(count).fill(RECORD).join(',')}]}`;
      response.writeHead(200, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    records: () => acknowledged,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
