/**
 * An in-memory stand-in for the rollups table behind aws-sdk-client-mock, for unit tests of the rollup
 * writer and the stats reads: it answers GetItem, BatchGetItem, BatchWriteItem (puts), PutItem with the
 * writer's two conditions and UpdateItem `SET #a = :v`, and can be told to fail, so exactly-once can be
 * checked over whole sequences of deliveries without a server.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the stub's generic parameters are the SDK's own.
type DocumentStub = AwsStub<any, any, any>;

const id = (key: { pk?: unknown; sk?: unknown }) => `${String(key.pk)}|${String(key.sk)}`;

export interface FakeTable {
  items: Map<string, Item>;
  /** Items whose `pk` starts with `prefix`. */
  withPrefix(prefix: string): Item[];
  /** Makes the next `count` PutItem calls on keys whose pk starts with `prefix` throw `error`. */
  failPuts(prefix: string, count: number, error?: Error): void;
  /** Makes BatchGetItem leave keys whose pk starts with `prefix` unprocessed, `count` times. */
  leaveUnprocessed(prefix: string, count: number): void;
  /** Ends every failure set up so far. */
  heal(): void;
}

/** Installs the fake on a mocked `DynamoDBDocumentClient` (after `reset()`). */
export function fakeRollupsTable(stub: DocumentStub): FakeTable {
  const items = new Map<string, Item>();
  const putFailures: { prefix: string; count: number; error: Error }[] = [];
  const unprocessed: { prefix: string; count: number }[] = [];
  const take = <T extends { prefix: string; count: number }>(list: T[], pk: string) => {
    const rule = list.find((candidate) => pk.startsWith(candidate.prefix) && candidate.count > 0);
    if (rule) rule.count -= 1;
    return rule;
  };

  stub.on(GetCommand).callsFake((input) => ({ Item: structuredClone(items.get(id(input.Key))) }));
  stub.on(BatchGetCommand).callsFake((input) => {
    const [table, request] = Object.entries(input.RequestItems as Record<string, { Keys: Item[] }>)[0] ?? [];
    const found: Item[] = [];
    const left: Item[] = [];
    for (const key of request?.Keys ?? []) {
      if (take(unprocessed, String(key.pk))) left.push(key);
      else if (items.has(id(key))) found.push(structuredClone(items.get(id(key)) as Item));
    }
    return {
      Responses: { [table as string]: found },
      UnprocessedKeys: left.length > 0 ? { [table as string]: { Keys: left } } : {},
    };
  });
  stub.on(BatchWriteCommand).callsFake((input) => {
    for (const requests of Object.values(
      input.RequestItems as Record<string, { PutRequest: { Item: Item } }[]>,
    )) {
      for (const { PutRequest } of requests) items.set(id(PutRequest.Item), structuredClone(PutRequest.Item));
    }
    return { UnprocessedItems: {} };
  });
  stub.on(PutCommand).callsFake((input) => {
    const item = input.Item as Item;
    const failure = take(putFailures, String(item.pk));
    if (failure) throw failure.error;
    const existing = items.get(id(item));
    const condition = input.ConditionExpression as string | undefined;
    const holds =
      condition === undefined ||
      (condition === 'attribute_not_exists(pk)' && !existing) ||
      (condition === '#v = :v' &&
        existing !== undefined &&
        existing.v === input.ExpressionAttributeValues?.[':v']);
    if (!holds)
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    items.set(id(item), structuredClone(item));
    return {};
  });
  stub.on(UpdateCommand).callsFake((input) => {
    const match = /^SET #(\w+) = :(\w+)$/.exec(input.UpdateExpression ?? '');
    if (!match) throw new Error(`the fake table does not understand ${input.UpdateExpression}`);
    const name = input.ExpressionAttributeNames?.[`#${match[1]}`] as string;
    const existing = items.get(id(input.Key)) ?? { ...input.Key };
    items.set(id(input.Key), { ...existing, [name]: input.ExpressionAttributeValues?.[`:${match[2]}`] });
    return {};
  });

  return {
    items,
    withPrefix: (prefix) => [...items.values()].filter((item) => String(item.pk).startsWith(prefix)),
    failPuts: (
      prefix,
      count,
      error = Object.assign(new Error('throttled'), { name: 'ThrottlingException' }),
    ) => putFailures.push({ prefix, count, error }),
    leaveUnprocessed: (prefix, count) => unprocessed.push({ prefix, count }),
    heal: () => {
      putFailures.length = 0;
      unprocessed.length = 0;
    },
  };
}
