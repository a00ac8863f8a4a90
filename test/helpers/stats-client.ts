/**
 * Given/when/then helpers for the stats API against the real local stack: GETs on every stats route,
 * and direct access to what the rollup writer consumed (the stream's records, the stack's DynamoDB
 * Local) for exactly-once scenarios.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { fromSdkRecord, kinesisStreamEvent } from '../../local/event-source-mapping/kinesis-event.js';
import { localDynamoDb, localKinesis } from '../../local/services/local-clients.js';
import { type HttpResult, type Json, localStack } from './local-stack-client.js';

/** The REST API's base URL (`http://127.0.0.1:<port>`). */
export function restBase(): string {
  return localStack().ingestUrl.replace(/\/v1\/events$/, '');
}

/** GETs `path` (e.g. `/v1/accounts/<id>/summary`) with `query`, with the key if given. */
export async function getStats(
  path: string,
  query: Record<string, string> = {},
  key?: string,
): Promise<HttpResult> {
  const url = new URL(`${restBase()}${path}`);
  for (const [name, value] of Object.entries(query)) url.searchParams.append(name, value);
  const response = await fetch(url, { headers: key ? { 'x-api-key': key } : {} });
  const text = await response.text();
  let body: Json = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text for the assertion to show.
  }
  return { status: response.status, headers: response.headers, body };
}

/** A document client on the stack's DynamoDB Local, for the caller to destroy. */
export function stackDynamo(): DynamoDBDocumentClient {
  const stack = localStack();
  return DynamoDBDocumentClient.from(
    localDynamoDb(stack.dynamodbUrl, { region: stack.region, maxAttempts: 3 }),
  );
}

/**
 * The stream's records of `accountId`, shaped as Lambda delivers them to the rollup writer (what a
 * redelivery would deliver again).
 */
export async function streamRecordsOf(accountId: string): Promise<KinesisStreamRecord[]> {
  const stack = localStack();
  const kinesis = localKinesis(stack.kinesisUrl, { region: stack.region, maxAttempts: 3 });
  try {
    const records: KinesisStreamRecord[] = [];
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stack.streamName }));
    for (const shard of Shards) {
      const shardId = shard.ShardId as string;
      let { ShardIterator: iterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stack.streamName,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      while (iterator) {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const own = (page.Records ?? []).filter((record) =>
          Buffer.from(record.Data ?? new Uint8Array())
            .toString('utf8')
            .includes(`"account_id":"${accountId}"`),
        );
        const source = { region: stack.region, streamArn: streamArn(stack), functionId: 'rollup-writer' };
        const delivered = own.map((record) => fromSdkRecord(record, Date.now()));
        records.push(...kinesisStreamEvent(source, shardId, delivered).Records);
        iterator = (page.Records?.length ?? 0) > 0 ? page.NextShardIterator : undefined;
      }
    }
    return records;
  } finally {
    kinesis.destroy();
  }
}

function streamArn(stack: ReturnType<typeof localStack>): string {
  return `arn:aws:kinesis:${stack.region}:000000000000:stream/${stack.streamName}`;
}
