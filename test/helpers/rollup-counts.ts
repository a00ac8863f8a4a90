/**
 * What the rollups counted, read straight from DynamoDB Local through the stats reader. The only test
 * code that reads the rollups outside the stats API: when the model changes, this file changes with it.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_MAX_FUTURE_MS } from '../../lambdas/shared/event-limits.js';
import { NotFoundError } from '../../lambdas/shared/http.js';
import { summarize } from '../../lambdas/stats/summary-core.js';
import { localDynamoDb } from '../../local/services/local-clients.js';
import { eventually, localStack } from './local-stack-client.js';

/** The number of events counted for an account, over all time. */
export async function countedEvents(accountId: string): Promise<number> {
  const stack = localStack();
  const client = DynamoDBDocumentClient.from(
    localDynamoDb(stack.dynamodbUrl, { region: stack.region, maxAttempts: 3 }),
  );
  try {
    const summary = await summarize(
      accountId,
      { window: 'all' },
      {
        dynamo: client,
        tableName: stack.rollupsTableName,
        maxFutureMs: DEFAULT_MAX_FUTURE_MS,
        now: Date.now,
      },
    );
    return summary.total_events;
  } catch (error) {
    if (error instanceof NotFoundError) return 0;
    throw error;
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
