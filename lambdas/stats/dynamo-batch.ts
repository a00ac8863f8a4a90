/**
 * BatchGetItem and BatchWriteItem over any number of keys: chunked to the API limits (100 keys,
 * 25 puts), chunks in parallel, and what DynamoDB leaves unprocessed (throttling, 16 MB responses)
 * retried with the shared backoff until the deadline, and so are requests that fail for a transient
 * reason (`dynamo-errors.ts`). What is still unprocessed is returned, never dropped: the caller decides
 * what failing means. Other errors are thrown.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import { retryPending, type Timing } from '../shared/retry.js';
import { classifyDynamoError } from './dynamo-errors.js';
import type { TableKey } from './rollup-model.js';

const MAX_GET_KEYS = 100;
const MAX_WRITE_ITEMS = 25;
const CHUNK_CONCURRENCY = 8;

export interface BatchOptions {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  timing: Timing;
  deadline: number;
}

/** `pk|sk`: the map key of an item. */
export function keyId(key: TableKey): string {
  return `${key.pk}|${key.sk}`;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let index = 0; index < items.length; index += size) out.push(items.slice(index, index + size));
  return out;
}

export interface BatchGetResult {
  /** Found items by `keyId`; a key that is not here and not in `unprocessed` has no item. */
  items: Map<string, Record<string, unknown>>;
  unprocessed: TableKey[];
}

/** Gets every key (strongly consistent when `consistent`), retrying unprocessed keys. */
export async function batchGetAll(
  keys: TableKey[],
  options: BatchOptions & { consistent: boolean; attributes?: string[] },
): Promise<BatchGetResult> {
  const projection = options.attributes && {
    ProjectionExpression: options.attributes.map((_, index) => `#a${index}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(
      options.attributes.map((name, index) => [`#a${index}`, name]),
    ),
  };
  const unique = [...new Map(keys.map((key) => [keyId(key), key])).values()];
  const items = new Map<string, Record<string, unknown>>();
  const unprocessed: TableKey[] = [];
  await forEachWithConcurrency(chunks(unique, MAX_GET_KEYS), CHUNK_CONCURRENCY, async (chunk) => {
    const { remaining } = await retryPending(
      chunk,
      async (pending) => {
        let output: BatchGetCommandOutput;
        try {
          output = await options.dynamo.send(
            new BatchGetCommand({
              RequestItems: {
                [options.tableName]: {
                  Keys: pending.map(({ pk, sk }) => ({ pk, sk })),
                  ConsistentRead: options.consistent,
                  ...projection,
                },
              },
            }),
          );
        } catch (error) {
          if (isClientError(error)) throw error;
          return pending;
        }
        for (const item of output.Responses?.[options.tableName] ?? []) {
          items.set(keyId(item as TableKey), item);
        }
        return (output.UnprocessedKeys?.[options.tableName]?.Keys ?? []) as TableKey[];
      },
      { deadline: options.deadline, timing: options.timing },
    );
    unprocessed.push(...remaining);
  });
  return { items, unprocessed };
}

/** Puts every item (unconditionally), retrying unprocessed ones; returns those never written. */
export async function batchPutAll<T extends TableKey>(items: T[], options: BatchOptions): Promise<T[]> {
  const unwritten: T[] = [];
  await forEachWithConcurrency(chunks(items, MAX_WRITE_ITEMS), CHUNK_CONCURRENCY, async (chunk) => {
    const { remaining } = await retryPending(
      chunk,
      async (pending) => {
        try {
          const output = await options.dynamo.send(
            new BatchWriteCommand({
              RequestItems: { [options.tableName]: pending.map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
          const left = new Set(
            (output.UnprocessedItems?.[options.tableName] ?? []).map((request) =>
              keyId(request.PutRequest?.Item as TableKey),
            ),
          );
          return pending.filter((item) => left.has(keyId(item)));
        } catch (error) {
          if (isClientError(error)) throw error;
          return pending;
        }
      },
      { deadline: options.deadline, timing: options.timing },
    );
    unwritten.push(...remaining);
  });
  return unwritten;
}

/**
 * A request that fails for what it carries (a ValidationException) or for a reason no rule recognises
 * fails the same way on every retry: surface it (the caller bisects) rather than retry it until the
 * deadline. Throttling, server errors and the network are retried here.
 */
function isClientError(error: unknown): boolean {
  return classifyDynamoError(error, 'batch').kind !== 'transient';
}
