/**
 * A bound on the messages one WebSocket connection sends. API Gateway throttles a WebSocket stage as a
 * whole, not per connection, and a live client only subscribes when its filter changes and pings every
 * 5 minutes: a connection sending more than `MAX_MESSAGES_PER_MINUTE` is flooding, and would spend the
 * stage's throttle (and `$default` invocations) that every other account's dashboards share. It is
 * closed; reconnecting takes a live token, within the account's connection limit.
 *
 * The count is a fixed one-minute window on the connection's own item (`messageMinute`,
 * `messageCount`): one conditional update per message, two on the first of a minute, and a read only
 * past the limit. No second table.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalUpdate } from './connections.js';

/** Messages a connection may send in one minute; ten times a busy dashboard's. */
export const MAX_MESSAGES_PER_MINUTE = 30;

export interface MessageRateDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
}

/** What counting a message found: `over` when the connection has sent its minute's worth already. */
export type MessageCount = 'counted' | 'over' | 'unknown-connection';

/** Counts one message of `connectionId` in the minute of `now`. */
export async function countMessage(
  deps: MessageRateDeps,
  connectionId: string,
  now: Date,
): Promise<MessageCount> {
  const minute = Math.floor(now.getTime() / 60_000);
  // The usual case: another message in the current minute, under the limit.
  if (
    await conditionalUpdate(deps, {
      Key: { connectionId },
      UpdateExpression: 'SET messageCount = messageCount + :one',
      ConditionExpression: 'messageMinute = :minute AND messageCount < :max',
      ExpressionAttributeValues: { ':one': 1, ':minute': minute, ':max': MAX_MESSAGES_PER_MINUTE },
    })
  )
    return 'counted';
  // The first message of a minute (or of the connection) starts its window.
  if (
    await conditionalUpdate(deps, {
      Key: { connectionId },
      UpdateExpression: 'SET messageMinute = :minute, messageCount = :one',
      ConditionExpression:
        'attribute_exists(connectionId) AND (attribute_not_exists(messageMinute) OR messageMinute <> :minute)',
      ExpressionAttributeValues: { ':one': 1, ':minute': minute },
    })
  )
    return 'counted';
  // Over the limit, or no such connection (disconnected, expired): only a flood pays for this read.
  const { Item } = await deps.dynamo.send(
    new GetCommand({
      TableName: deps.tableName,
      Key: { connectionId },
      ProjectionExpression: 'connectionId',
      ConsistentRead: true,
    }),
  );
  return Item ? 'over' : 'unknown-connection';
}
