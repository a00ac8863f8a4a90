/**
 * What the rollups counted, read straight from DynamoDB Local. The only test code that knows the rollup
 * layout (through `lambdas/stats/rollup-model.ts`): when the model changes, this file changes with it.
 */
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { accountPk, fromItem } from '../../lambdas/stats/rollup-model.js';
import { localDynamoDb } from '../../local/services/local-clients.js';
import { eventually, localStack } from './local-stack-client.js';

/** The number of events counted for an account, over all days (the sum of its daily rollups). */
export async function countedEvents(accountId: string): Promise<number> {
  const stack = localStack();
  const client = DynamoDBDocumentClient.from(
    localDynamoDb(stack.dynamodbUrl, { region: stack.region, maxAttempts: 3 }),
  );
  try {
    let total = 0;
    const pages = paginateQuery(
      { client },
      {
        TableName: stack.rollupsTableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
        ExpressionAttributeValues: { ':pk': accountPk(accountId), ':day': 'D#' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) total += fromItem(item)?.total ?? 0;
    }
    return total;
  } finally {
    client.destroy();
  }
}

/** The account's count once it reaches `count` (or what it is when time is up). */
export function countOnceCounted(accountId: string, count: number): Promise<number> {
  return eventually(
    () => countedEvents(accountId),
    (counted) => counted >= count,
  );
}
