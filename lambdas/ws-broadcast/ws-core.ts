/**
 * WebSocket route cores: `$connect` (authorize with a read key), `$disconnect`, and `$default`
 * messages (subscribe to event types, ping). The token is a secret: it is never logged.
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { type ApiKeyLookup, authorize } from '../shared/api-keys.js';
import { eventTypeSchema, formatIssues } from '../shared/event-schema.js';
import type { Log } from '../shared/logger.js';
import { isGone, newConnection, postJson } from './connections.js';

/** At most this many types in one subscription. */
export const MAX_SUBSCRIBED_TYPES = 100;

export interface ConnectDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  lookupApiKey: ApiKeyLookup;
  now: () => Date;
  log: Log;
}

/**
 * Authorizes a `$connect` with the `token` query parameter (a read key) and records the connection.
 * Throws 401/403 `HttpError`s, which reject the connection.
 */
export async function connect(
  request: { connectionId: string; token: string | undefined },
  deps: ConnectDeps,
): Promise<void> {
  const key = await authorize(deps.lookupApiKey, request.token, 'read');
  await deps.dynamo.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: newConnection(request.connectionId, key.accountId, deps.now()),
    }),
  );
  deps.log.info('connection opened', { connectionId: request.connectionId, accountId: key.accountId });
}

/** Forgets a connection on `$disconnect`. */
export async function disconnect(
  connectionId: string,
  deps: { dynamo: DynamoDBDocumentClient; tableName: string },
): Promise<void> {
  await deps.dynamo.send(new DeleteCommand({ TableName: deps.tableName, Key: { connectionId } }));
}

const messageSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('subscribe'),
    types: z.array(eventTypeSchema).check(
      z.maxLength(MAX_SUBSCRIBED_TYPES, {
        error: `types may list at most ${MAX_SUBSCRIBED_TYPES} event types`,
      }),
    ),
  }),
  z.object({ action: z.literal('ping') }),
]);

export interface MessageDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  management: ApiGatewayManagementApiClient;
  log: Log;
}

/**
 * Handles one `$default` message and answers on the connection: `subscribe` stores the type filter
 * (an empty list means all types) and acks with `{"type":"subscribed"}`; `ping` answers `pong`;
 * anything else gets `{"type":"error"}`.
 */
export async function handleMessage(
  request: { connectionId: string; body: string | undefined },
  deps: MessageDeps,
): Promise<void> {
  const { connectionId } = request;
  const reply = async (message: unknown) => {
    try {
      await postJson(deps.management, connectionId, message);
    } catch (error) {
      if (!isGone(error)) throw error;
      await disconnect(connectionId, deps);
    }
  };

  let json: unknown;
  try {
    json = JSON.parse(request.body ?? '');
  } catch {
    await reply({ type: 'error', message: 'message must be JSON' });
    return;
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) {
    await reply({
      type: 'error',
      message: 'expected {"action":"subscribe","types":[...]} or {"action":"ping"}',
      errors: formatIssues(parsed.error.issues),
    });
    return;
  }
  const message = parsed.data;
  if (message.action === 'ping') {
    await reply({ type: 'pong' });
    return;
  }
  const types = [...new Set(message.types)];
  try {
    await deps.dynamo.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { connectionId },
        ...(types.length > 0
          ? { UpdateExpression: 'SET #types = :types', ExpressionAttributeValues: { ':types': types } }
          : { UpdateExpression: 'REMOVE #types' }),
        ExpressionAttributeNames: { '#types': 'types' },
        // Never resurrect a connection that expired or disconnected as a bare item.
        ConditionExpression: 'attribute_exists(connectionId)',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      await reply({ type: 'error', message: 'unknown connection; reconnect' });
      return;
    }
    throw error;
  }
  deps.log.info('subscription updated', { connectionId, types });
  await reply({ type: 'subscribed', types });
}
