/**
 * The rollup writer's crash journal (`../shared/stream-consumer-crashes.ts`): one item per suspect
 * record, `pk = C#<shard>:<sequence>`, `sk = C`, counting the starts of the function on the record
 * without an end (an atomic `ADD`), expiring after a day should an end never come.
 */
import { DeleteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CrashJournal } from '../shared/stream-consumer-crashes.js';

const EXPIRES_AFTER_SECONDS = 24 * 3600;

function crashKey(recordId: string) {
  return { pk: `C#${recordId}`, sk: 'C' };
}

/** The journal in the rollups table. */
export function dynamoCrashJournal(deps: {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  timing: { now: () => number };
}): CrashJournal {
  return {
    async begin(event) {
      const { Attributes } = await deps.dynamo.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: crashKey(event.recordId),
          UpdateExpression: 'ADD starts :one SET expiresAt = :expires',
          ExpressionAttributeValues: {
            ':one': 1,
            ':expires': Math.floor(deps.timing.now() / 1000) + EXPIRES_AFTER_SECONDS,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.starts ?? 1);
    },
    async end(event) {
      await deps.dynamo.send(new DeleteCommand({ TableName: deps.tableName, Key: crashKey(event.recordId) }));
    },
  };
}
