/**
 * WebSocket route cores: `$connect` (authorize with a live token), `$disconnect`, and `$default`
 * messages (subscribe to event types and users, ping). The token is a secret: it is never logged.
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { KeyHashLookup } from '../shared/api-keys.js';
import { eventTypeSchema, formatIssues, ID_MAX_LENGTH } from '../shared/event-schema.js';
import { isWellFormedUnicode } from '../shared/event-storability.js';
import { TooManyRequestsError, UnauthorizedError } from '../shared/http.js';
import { type LiveGrant, looksLikeLiveToken, readKeyOfToken } from '../shared/live-tokens.js';
import type { Log } from '../shared/logger.js';
import { forgetConnection, takeLease } from './connection-leases.js';
import {
  closeConnection,
  conditionalUpdate,
  isGone,
  MAX_CONNECTIONS_PER_ACCOUNT,
  newConnection,
  postJson,
} from './connections.js';
import { countMessage, MAX_MESSAGES_PER_MINUTE } from './message-rate.js';

/** When a client refused for the connection limit may try again. */
const CONNECTION_RETRY_SECONDS = 30;

/** At most this many types, and this many users, in one subscription. */
export const MAX_SUBSCRIBED_TYPES = 100;
export const MAX_SUBSCRIBED_USERS = 100;

export interface ConnectDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  /** The grant of a live token, or `undefined` when it is unknown or expired. */
  verifyToken: (token: string) => Promise<LiveGrant | undefined>;
  /** The read key a token's session was started with, or `undefined` once it is revoked. */
  lookupKeyHash: KeyHashLookup;
  now: () => Date;
  log: Log;
  /** Open connections one account may hold; default `MAX_CONNECTIONS_PER_ACCOUNT`. */
  maxConnectionsPerAccount?: number;
  /** Whether API Gateway still holds a connection open: `LeaseDeps.connectionIsOpen`. */
  connectionIsOpen?: (connectionId: string) => Promise<boolean>;
}

/**
 * Authorizes a `$connect` with the `token` query parameter, a live token (`POST /v1/live-tokens`) whose
 * read key is not revoked, and records the connection under the token's account, unless the account
 * already holds `MAX_CONNECTIONS_PER_ACCOUNT` (429), exactly under any concurrency (`connection-leases.ts`). Throws `HttpError`s, which reject the connection.
 * API keys are refused here: a read key in a URL would end up in browser history, proxy logs and
 * screenshots, and it does not expire (docs/decisions.md).
 */
export async function connect(
  request: { connectionId: string; token: string | undefined },
  deps: ConnectDeps,
): Promise<void> {
  const { token } = request;
  if (!token) {
    throw new UnauthorizedError('missing token: connect with ?token=<live token from POST /v1/live-tokens>');
  }
  if (!looksLikeLiveToken(token)) {
    throw new UnauthorizedError(
      'token is not a live token; API keys are not accepted here: exchange a read key for a live token at POST /v1/live-tokens',
    );
  }
  // A token stands for the read key that started its session: it stops working when that key is
  // revoked, here as on the REST API (whose authorizer applies the same rule).
  const found = await readKeyOfToken(token, deps.verifyToken, deps.lookupKeyHash);
  if ('denied' in found) {
    throw new UnauthorizedError(
      found.denied === 'unknown or expired live token'
        ? found.denied
        : `${found.denied}; sign in with a valid read key`,
    );
  }
  const { grant } = found;
  const limit = deps.maxConnectionsPerAccount ?? MAX_CONNECTIONS_PER_ACCOUNT;
  const connection = newConnection(request.connectionId, grant.accountId, deps.now(), grant.keyHash);
  // The item first, then its lease: a lease whose connection item is missing is dead to reconciliation.
  await deps.dynamo.send(new PutCommand({ TableName: deps.tableName, Item: connection }));
  let leased: boolean;
  try {
    leased = await takeLease(deps, {
      accountId: grant.accountId,
      connectionId: request.connectionId,
      expiresAt: connection.expiresAt,
      nowSeconds: Math.floor(deps.now().getTime() / 1000),
      limit,
    });
  } catch (error) {
    // A rejected connection gets no `$disconnect`: forget it now, lease and all.
    await forgetConnection(deps, request.connectionId, grant.accountId);
    throw error;
  }
  if (!leased) {
    await forgetConnection(deps, request.connectionId, grant.accountId);
    deps.log.warn('connection refused: account at its connection limit', {
      accountId: grant.accountId,
      limit,
    });
    throw new TooManyRequestsError(
      `the account has ${limit} live connections open, the most it may hold; close one first`,
      CONNECTION_RETRY_SECONDS,
      { limit },
    );
  }
  deps.log.info('connection opened', { connectionId: request.connectionId, accountId: grant.accountId });
}

/** Forgets a connection on `$disconnect`. */
export async function disconnect(
  connectionId: string,
  deps: { dynamo: DynamoDBDocumentClient; tableName: string },
): Promise<void> {
  await forgetConnection(deps, connectionId);
}

const userSchema = z.string({ error: 'users must list user ids (strings)' }).check(
  z.minLength(1, { error: 'a user id must not be empty' }),
  z.maxLength(ID_MAX_LENGTH, { error: `a user id must be at most ${ID_MAX_LENGTH} characters` }),
  // As in events (no event can carry such an id), and the connections table stores it as UTF-8.
  z.refine(isWellFormedUnicode, { error: 'a user id must be well-formed Unicode (no lone surrogate)' }),
);

/**
 * Strict, as events and stats parameters are: a field the server would drop unseen (`account_id`, say)
 * must not be acked as if it had been applied. A subscription is always to the connection's own account.
 */
const messageSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('subscribe'),
    types: z.optional(
      z.array(eventTypeSchema).check(
        z.maxLength(MAX_SUBSCRIBED_TYPES, {
          error: `types may list at most ${MAX_SUBSCRIBED_TYPES} event types`,
        }),
      ),
    ),
    users: z.optional(
      z.array(userSchema).check(
        z.maxLength(MAX_SUBSCRIBED_USERS, {
          error: `users may list at most ${MAX_SUBSCRIBED_USERS} user ids`,
        }),
      ),
    ),
  }),
  z.strictObject({ action: z.literal('ping') }),
]);

/** The errors of a refused message; an unknown field is named with what a subscription can hold. */
function messageErrors(issues: readonly z.core.$ZodIssue[]) {
  return formatIssues(issues).map((error, index) => {
    const issue = issues[index];
    return issue?.code === 'unrecognized_keys'
      ? {
          path: error.path,
          message: `unknown field(s) ${issue.keys.join(', ')}: a message holds action, and for subscribe types and users; it is always about the connection's own account`,
        }
      : error;
  });
}

export interface MessageDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  management: ApiGatewayManagementApiClient;
  now: () => Date;
  log: Log;
}

/**
 * Handles one `$default` message and answers on the connection: `subscribe` stores the filter (events
 * of one of `types` AND of one of `users`; an absent or empty list does not filter) and acks with
 * `{"type":"subscribed","types":[...],"users":[...]}`; `ping` answers `pong`; anything else gets
 * `{"type":"error"}`. A connection over `MAX_MESSAGES_PER_MINUTE` is told so and closed
 * (`message-rate.ts`).
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

  // An unknown connection goes on to the answers below, which say so where it matters (subscribe).
  if ((await countMessage(deps, connectionId, deps.now())) === 'over') {
    deps.log.warn('connection closed: too many messages', {
      connectionId,
      limitPerMinute: MAX_MESSAGES_PER_MINUTE,
    });
    await reply({
      type: 'error',
      message: `too many messages: a connection may send at most ${MAX_MESSAGES_PER_MINUTE} a minute; closing it`,
    });
    await closeConnection(deps.management, connectionId);
    return;
  }

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
      message: 'expected {"action":"subscribe","types":[...],"users":[...]} or {"action":"ping"}',
      errors: messageErrors(parsed.error.issues),
    });
    return;
  }
  const message = parsed.data;
  if (message.action === 'ping') {
    await reply({ type: 'pong' });
    return;
  }
  const types = [...new Set(message.types ?? [])];
  const users = [...new Set(message.users ?? [])];
  const known = await conditionalUpdate(deps, {
    Key: { connectionId },
    ...filterUpdate({ types, users }),
    // Never resurrect a connection that expired or disconnected as a bare item.
    ConditionExpression: 'attribute_exists(connectionId)',
  });
  if (!known) {
    await reply({ type: 'error', message: 'unknown connection; reconnect' });
    return;
  }
  deps.log.info('subscription updated', { connectionId, types: types.length, users: users.length });
  await reply({ type: 'subscribed', types, users });
}

/** SET the non-empty lists of the filter, REMOVE the empty ones (DynamoDB stores no empty list). */
function filterUpdate(filter: { types: string[]; users: string[] }) {
  const entries = Object.entries(filter);
  const set = entries.filter(([, list]) => list.length > 0);
  const remove = entries.filter(([, list]) => list.length === 0);
  const clauses = [
    set.length > 0 ? `SET ${set.map(([name]) => `#${name} = :${name}`).join(', ')}` : '',
    remove.length > 0 ? `REMOVE ${remove.map(([name]) => `#${name}`).join(', ')}` : '',
  ];
  return {
    UpdateExpression: clauses.filter(Boolean).join(' '),
    ExpressionAttributeNames: Object.fromEntries(entries.map(([name]) => [`#${name}`, name])),
    ...(set.length > 0
      ? { ExpressionAttributeValues: Object.fromEntries(set.map(([name, list]) => [`:${name}`, list])) }
      : {}),
  };
}
