/**
 * The connections table's entity: one item per live WebSocket connection, found per account through
 * the `by-account` index, expiring by TTL (API Gateway closes connections after 2 hours anyway).
 */
import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../shared/event-schema.js';

/** API Gateway's maximum connection duration. */
export const CONNECTION_TTL_SECONDS = 2 * 3600;
/**
 * How long a connection may be in its `$connect` (its item written, the handshake not done): the
 * `ws-connect` function's timeout. API Gateway answers 410 to a post to such a connection, and
 * forgetting it then would leave a dashboard connected without a connection item, so without events
 * (2 to 5 dashboards in 20 connected to a busy account were). A young connection that is really gone
 * is forgotten by its `$disconnect`, or by a 410 once it is older; the connection limit likewise asks
 * API Gateway about older connections only (`connection-leases.ts`).
 */
export const CONNECTING_SECONDS = 10;

/** Global secondary index of the connections table by account. */
export const BY_ACCOUNT_INDEX = 'by-account';

export interface ConnectionItem {
  connectionId: string;
  accountId: string;
  /** ISO-8601 time of `$connect`. */
  connectedAt: string;
  /** Epoch seconds: DynamoDB TTL. */
  expiresAt: number;
  /** Event types the client subscribed to; absent or empty means all. */
  types?: string[];
  /** Users (`user_id`, else `anonymous_id`) the client subscribed to; absent or empty means all. */
  users?: string[];
  /**
   * Hash of the read key whose live token opened it: revoking that key closes it (`pipeline keys
   * revoke`). Absent on connections opened before keys were recorded.
   */
  keyHash?: string;
}

/**
 * Open connections one account may hold (an exact bound: `connection-leases.ts`). Every batch of its events is posted to each of them, by the
 * same broadcaster invocation as other accounts' events on the shard; without a bound, one account
 * opening thousands of connections would hold up every other account's live push by seconds. Twice
 * the 100 viewers `bench:live` holds an account to.
 */
export const MAX_CONNECTIONS_PER_ACCOUNT = 200;

/** The parts of a connection that decide which events it gets. */
export type Subscription = Pick<ConnectionItem, 'types' | 'users'>;

/** Whether an event passes a connection's subscription: one of its types AND one of its users. */
export function matchesSubscription(subscription: Subscription, event: StoredEvent): boolean {
  if (subscription.types?.length && !subscription.types.includes(event.type)) return false;
  if (!subscription.users?.length) return true;
  const user = event.user_id ?? event.anonymous_id;
  return user !== undefined && subscription.users.includes(user);
}

/** One key per distinct subscription, so connections that want the same events share their frames. */
export function subscriptionKey(subscription: Subscription): string {
  const sorted = (list: string[] | undefined) => [...(list ?? [])].sort();
  return JSON.stringify([sorted(subscription.types), sorted(subscription.users)]);
}

/** The item recorded at `$connect`. */
export function newConnection(
  connectionId: string,
  accountId: string,
  now: Date,
  keyHash?: string,
): ConnectionItem {
  return {
    connectionId,
    accountId,
    connectedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + CONNECTION_TTL_SECONDS,
    ...(keyHash ? { keyHash } : {}),
  };
}

/** Whether an error of the management API means the connection is gone (410). */
export function isGone(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return candidate?.name === 'GoneException' || candidate?.$metadata?.httpStatusCode === 410;
}

/** Closes a connection (API Gateway then runs `$disconnect`); false when it was gone already. */
export async function closeConnection(
  management: Pick<ApiGatewayManagementApiClient, 'send'>,
  connectionId: string,
): Promise<boolean> {
  try {
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    return true;
  } catch (error) {
    if (isGone(error)) return false;
    throw error;
  }
}

/**
 * Whether API Gateway still holds a connection open: false when it answers 410 Gone. Any other failure
 * (throttled, timed out) counts as open: a place wrongly kept is freed later, a live dashboard's lease
 * wrongly dropped would let the account pass its limit.
 */
export async function isConnectionOpen(
  management: Pick<ApiGatewayManagementApiClient, 'send'>,
  connectionId: string,
): Promise<boolean> {
  try {
    await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    return true;
  } catch (error) {
    return !isGone(error);
  }
}

/** Sends one JSON message to a connection. */
export async function postJson(
  management: ApiGatewayManagementApiClient,
  connectionId: string,
  message: unknown,
): Promise<void> {
  await postFrame(management, connectionId, JSON.stringify(message));
}

/** Sends one serialized frame to a connection; `abortSignal` gives up on a connection that is too slow. */
export async function postFrame(
  management: ApiGatewayManagementApiClient,
  connectionId: string,
  frame: string,
  abortSignal?: AbortSignal,
): Promise<void> {
  await management.send(
    new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(frame, 'utf8') }),
    abortSignal ? { abortSignal } : {},
  );
}

/** Runs one conditional update of the connections table; false when its condition failed. */
export async function conditionalUpdate(
  deps: { dynamo: DynamoDBDocumentClient; tableName: string },
  update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
): Promise<boolean> {
  try {
    await deps.dynamo.send(new UpdateCommand({ TableName: deps.tableName, ...update }));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
