/**
 * An in-memory stand-in for the rollups table behind aws-sdk-client-mock, for unit tests of the rollup
 * writer and the stats reads: it answers GetItem, BatchGetItem, BatchWriteItem (puts), PutItem, UpdateItem
 * `SET a = :v, ...`, `REMOVE a, ...` or `ADD n :v SET ...`, DeleteItem and Query (`pk = :pk AND sk <= :sk`), with the conditions the writer
 * uses, and can be told to fail, so exactly-once can be checked over whole sequences of deliveries
 * without a server.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
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
  /**
   * Makes every request that carries a key whose pk starts with `prefix` throw `error` as a whole, as
   * DynamoDB answers a ValidationException for one bad item of a batch.
   */
  rejectRequestsWith(prefix: string, error: Error): void;
  /** Ends every failure set up so far. */
  heal(): void;
}

/** Installs the fake on a mocked `DynamoDBDocumentClient` (after `reset()`). */
export function fakeRollupsTable(stub: DocumentStub): FakeTable {
  const items = new Map<string, Item>();
  const putFailures: { prefix: string; count: number; error: Error }[] = [];
  const rejections: { prefix: string; error: Error }[] = [];
  const rejectAny = (keys: Item[]) => {
    const rule = rejections.find((candidate) =>
      keys.some((key) => String(key.pk).startsWith(candidate.prefix)),
    );
    if (rule) throw rule.error;
  };
  const unprocessed: { prefix: string; count: number }[] = [];
  const take = <T extends { prefix: string; count: number }>(list: T[], pk: string) => {
    const rule = list.find((candidate) => pk.startsWith(candidate.prefix) && candidate.count > 0);
    if (rule) rule.count -= 1;
    return rule;
  };

  stub.on(GetCommand).callsFake((input) => {
    rejectAny([input.Key]);
    return { Item: structuredClone(items.get(id(input.Key))) };
  });
  stub.on(BatchGetCommand).callsFake((input) => {
    const [table, request] = Object.entries(input.RequestItems as Record<string, { Keys: Item[] }>)[0] ?? [];
    rejectAny(request?.Keys ?? []);
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
      rejectAny(requests.map((request) => request.PutRequest.Item));
    }
    for (const requests of Object.values(
      input.RequestItems as Record<string, { PutRequest: { Item: Item } }[]>,
    )) {
      for (const { PutRequest } of requests) items.set(id(PutRequest.Item), structuredClone(PutRequest.Item));
    }
    return { UnprocessedItems: {} };
  });
  stub.on(PutCommand).callsFake((input) => {
    const item = input.Item as Item;
    rejectAny([item]);
    const failure = take(putFailures, String(item.pk));
    if (failure) throw failure.error;
    const existing = items.get(id(item));
    if (!conditionHolds(input.ConditionExpression, existing, input))
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    items.set(id(item), structuredClone(item));
    return {};
  });
  stub.on(UpdateCommand).callsFake((input) => {
    rejectAny([input.Key]);
    const existing = items.get(id(input.Key));
    if (!conditionHolds(input.ConditionExpression, existing, input))
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    const expression = input.UpdateExpression ?? '';
    const next: Item = { ...(existing ?? input.Key) };
    const added = /^ADD (\w+) (:\w+)/.exec(expression);
    if (added) {
      const [, name, value] = added as unknown as [string, string, string];
      next[name] = Number(next[name] ?? 0) + Number(input.ExpressionAttributeValues?.[value]);
    }
    const removals = /^REMOVE (.+)$/.exec(expression)?.[1]?.split(/,\s*/) ?? [];
    for (const name of removals) delete next[attributeName(name, input)];
    const assignments = /(?:^| )SET (.+)$/.exec(expression)?.[1]?.split(/,\s*/) ?? [];
    if (!added && removals.length === 0 && assignments.length === 0)
      throw new Error(`the fake table does not understand ${expression}`);
    for (const assignment of assignments) {
      const [name, value] = assignment.split(/\s*=\s*/) as [string, string];
      next[attributeName(name, input)] = input.ExpressionAttributeValues?.[value];
    }
    items.set(id(input.Key), next);
    return added ? { Attributes: { [added[1] as string]: next[added[1] as string] } } : {};
  });
  stub.on(DeleteCommand).callsFake((input) => {
    rejectAny([input.Key]);
    if (!conditionHolds(input.ConditionExpression, items.get(id(input.Key)), input))
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    items.delete(id(input.Key));
    return {};
  });
  stub.on(QueryCommand).callsFake((input) => {
    if (input.KeyConditionExpression !== 'pk = :pk AND sk <= :sk')
      throw new Error(`the fake table does not understand ${input.KeyConditionExpression}`);
    const values = input.ExpressionAttributeValues as Record<string, string>;
    const found = [...items.values()]
      .filter((item) => item.pk === values[':pk'] && String(item.sk) <= (values[':sk'] as string))
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    if (input.ScanIndexForward === false) found.reverse();
    return { Items: found.slice(0, input.Limit ?? found.length).map((item) => structuredClone(item)) };
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
    rejectRequestsWith: (prefix, error) => rejections.push({ prefix, error }),
    heal: () => {
      putFailures.length = 0;
      unprocessed.length = 0;
      rejections.length = 0;
    },
  };
}

interface Expression {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

function attributeName(token: string, input: Expression): string {
  return token.startsWith('#') ? (input.ExpressionAttributeNames?.[token] as string) : token;
}

/** The conditions the writer uses: `a = :v`, `attribute_not_exists(a)`, joined by AND or OR. */
function conditionHolds(condition: string | undefined, item: Item | undefined, input: Expression): boolean {
  if (!condition) return true;
  const term = (text: string): boolean => {
    const absent = /^attribute_not_exists\((\S+)\)$/.exec(text);
    if (absent) return item?.[attributeName(absent[1] as string, input)] === undefined;
    const equal = /^(\S+) = (:\w+)$/.exec(text);
    if (equal)
      return (
        item !== undefined &&
        item[attributeName(equal[1] as string, input)] ===
          input.ExpressionAttributeValues?.[equal[2] as string]
      );
    throw new Error(`the fake table does not understand the condition ${text}`);
  };
  return condition
    .split(' OR ')
    .some((alternative) => alternative.split(' AND ').every((part) => term(part.trim())));
}
