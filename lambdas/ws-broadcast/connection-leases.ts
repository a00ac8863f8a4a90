/**
 * An exact bound on the connections of one account: each open connection holds a lease, an entry
 * `connectionId -> expiresAt` in one item per account, and `$connect` adds its lease with a conditional
 * update that only passes while the item holds fewer than the limit. DynamoDB applies conditional
 * updates of one item one at a time, so no burst of simultaneous connects can pass the bound.
 *
 * The leases cannot drift: a lease expires with its connection (the same `expiresAt`), `$disconnect`
 * and the broadcaster's 410 cleanup release it with the connection, and when the account looks full
 * the leases are reconciled with the truth, the connection items (read consistently): a lease whose
 * connection expired or was deleted is dropped before the connect is refused. Why not a counter, or
 * the count of the `by-account` index: docs/decisions.md.
 *
 * The item lives in the connections table beside the connections, keyed `account-leases#<accountId>`
 * (no `accountId` attribute, so the `by-account` index never lists it as a connection): every function
 * that opens or forgets a connection already writes that table.
 */
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
} from '@aws-sdk/lib-dynamodb';
import { forEachWithConcurrency } from '../shared/concurrency.js';
import { CONNECTING_SECONDS, conditionalUpdate } from './connections.js';

/** A connection's lease: when it ends (epoch seconds, the connection's own TTL). */
export type Leases = Record<string, number>;

export interface LeaseDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  /**
   * Whether API Gateway still holds a connection open (its @connections GET): false only for one it
   * says is gone. API Gateway delivers `$disconnect` on a best-effort basis, and a `$disconnect` whose
   * function failed releases nothing: without this check such a connection's item and lease would hold
   * a place until the item expires, two hours later.
   */
  connectionIsOpen?: (connectionId: string) => Promise<boolean>;
}

export interface LeaseRequest {
  accountId: string;
  connectionId: string;
  /** Epoch seconds when the connection ends: its `expiresAt`. */
  expiresAt: number;
  nowSeconds: number;
  limit: number;
}

/** Attempts at a lease: the fast one, and one after creating the item or pruning dead leases. */
const MAX_ATTEMPTS = 3;
/**
 * A full account's leases are checked against its connection items at most this often: a lease left
 * by a connection deleted without releasing it holds a place this much longer at most.
 */
export const RECONCILE_INTERVAL_SECONDS = 10;
/** Keys per BatchGetItem, DynamoDB's maximum. */
const BATCH_GET_KEYS = 100;
/** @connections GETs in flight while a full account's connections are checked: 200 take ~10 rounds. */
const LIVENESS_CONCURRENCY = 20;
/** Leases dropped per update, well inside the 4 KB an update expression may take. */
const REMOVE_PER_UPDATE = 50;
const KEY_PREFIX = 'account-leases#';

/** The key of an account's leases item in the connections table. */
export function leasesKey(accountId: string): { connectionId: string } {
  return { connectionId: `${KEY_PREFIX}${accountId}` };
}

/** Whether a connections-table key is a leases item rather than a connection. */
export function isLeasesKey(connectionId: string): boolean {
  return connectionId.startsWith(KEY_PREFIX);
}

/**
 * Takes a lease for `connectionId` under the account's limit: true when taken, false when the account
 * holds `limit` live connections. The connection's item must already be written: reconciliation drops
 * leases without one.
 */
export async function takeLease(deps: LeaseDeps, request: LeaseRequest): Promise<boolean> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    if (await addLease(deps, request)) return true;
    const item = await readLeases(deps, request.accountId);
    if (item?.leases === undefined) {
      if (await createLeases(deps, request)) return true;
      continue;
    }
    const { leases, reconciledAt = 0 } = item;
    if (Object.keys(leases).length < request.limit) continue;
    // Reading every connection is for the first refusal in a while: a storm of connects to a full
    // account must not cost 200 consistent reads each. Expired leases are dropped whenever.
    const dead =
      reconciledAt > request.nowSeconds - RECONCILE_INTERVAL_SECONDS
        ? leasesToDrop(leases, request.nowSeconds, new Set(Object.keys(leases)))
        : await deadLeases(deps, request, leases);
    if (dead.length === 0) return false;
    await removeLeases(deps, request.accountId, dead);
  }
  return false;
}

/** Releases the lease of `connectionId` (nothing when it holds none). */
export async function releaseLease(deps: LeaseDeps, accountId: string, connectionId: string): Promise<void> {
  await removeLeases(deps, accountId, [connectionId]);
}

/**
 * Forgets a connection: deletes its item and releases its lease. `accountId` is for a caller that knows
 * it (the broadcaster), so that a lease whose item is already gone is released too.
 */
export async function forgetConnection(
  deps: LeaseDeps,
  connectionId: string,
  accountId?: string,
): Promise<void> {
  const { Attributes } = await deps.dynamo.send(
    new DeleteCommand({ TableName: deps.tableName, Key: { connectionId }, ReturnValues: 'ALL_OLD' }),
  );
  const owner = (Attributes?.accountId as string | undefined) ?? accountId;
  if (owner !== undefined) await releaseLease(deps, owner, connectionId);
}

/**
 * The leases that hold no live connection: expired, or whose connection item is gone (given the ids
 * of the connection items that exist). A pure rule, so that what may be dropped is tested alone.
 */
export function leasesToDrop(leases: Leases, nowSeconds: number, existing: ReadonlySet<string>): string[] {
  return Object.entries(leases)
    .filter(([connectionId, expiresAt]) => expiresAt <= nowSeconds || !existing.has(connectionId))
    .map(([connectionId]) => connectionId);
}

/** The fast path: one conditional update, which passes while the account is under its limit. */
async function addLease(deps: LeaseDeps, request: LeaseRequest): Promise<boolean> {
  return conditionalUpdate(deps, {
    Key: leasesKey(request.accountId),
    // The item expires with its last lease: an idle account's item goes away by itself.
    UpdateExpression: 'SET leases.#connection = :expiresAt, expiresAt = :expiresAt',
    ConditionExpression: 'size(leases) < :limit',
    ExpressionAttributeNames: { '#connection': request.connectionId },
    ExpressionAttributeValues: { ':expiresAt': request.expiresAt, ':limit': request.limit },
  });
}

/** The account's first lease (or its first after the item expired): creates the item. */
async function createLeases(deps: LeaseDeps, request: LeaseRequest): Promise<boolean> {
  return conditionalUpdate(deps, {
    Key: leasesKey(request.accountId),
    UpdateExpression: 'SET leases = :leases, expiresAt = :expiresAt',
    ConditionExpression: 'attribute_not_exists(leases)',
    ExpressionAttributeValues: {
      ':leases': { [request.connectionId]: request.expiresAt },
      ':expiresAt': request.expiresAt,
    },
  });
}

async function readLeases(
  deps: LeaseDeps,
  accountId: string,
): Promise<{ leases?: Leases; reconciledAt?: number } | undefined> {
  const { Item } = await deps.dynamo.send(
    new GetCommand({ TableName: deps.tableName, Key: leasesKey(accountId), ConsistentRead: true }),
  );
  return Item as { leases?: Leases; reconciledAt?: number } | undefined;
}

/**
 * `leasesToDrop` against the connection items, read consistently (the index is not), and against API
 * Gateway for the items that exist (`connectionIsOpen`); notes the time on the item, so that the next
 * refusals within `RECONCILE_INTERVAL_SECONDS` skip these reads.
 */
async function deadLeases(deps: LeaseDeps, request: LeaseRequest, leases: Leases): Promise<string[]> {
  const { nowSeconds } = request;
  await conditionalUpdate(deps, {
    Key: leasesKey(request.accountId),
    UpdateExpression: 'SET reconciledAt = :now',
    ConditionExpression: 'attribute_exists(leases)',
    ExpressionAttributeValues: { ':now': nowSeconds },
  });
  const live = Object.keys(leases).filter((connectionId) => (leases[connectionId] ?? 0) > nowSeconds);
  const items = await connectionItems(deps, live);
  const gone = await goneConnections(deps, items, nowSeconds);
  const existing = new Set([...items.keys()].filter((connectionId) => !gone.includes(connectionId)));
  return leasesToDrop(leases, nowSeconds, existing);
}

/** The connection items of `connectionIds` that exist, read consistently: id -> `connectedAt`. */
async function connectionItems(deps: LeaseDeps, connectionIds: string[]): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  for (let start = 0; start < connectionIds.length; start += BATCH_GET_KEYS) {
    let keys: Record<string, unknown>[] = connectionIds
      .slice(start, start + BATCH_GET_KEYS)
      .map((connectionId) => ({ connectionId }));
    // The SDK retries throttled calls; unprocessed keys of a successful call are ours to ask again.
    while (keys.length > 0) {
      const { Responses, UnprocessedKeys } = await deps.dynamo.send(
        new BatchGetCommand({
          RequestItems: {
            [deps.tableName]: {
              Keys: keys,
              ConsistentRead: true,
              ProjectionExpression: 'connectionId, connectedAt',
            },
          },
        }),
      );
      for (const item of Responses?.[deps.tableName] ?? []) {
        items.set(item.connectionId as string, String(item.connectedAt ?? ''));
      }
      keys = UnprocessedKeys?.[deps.tableName]?.Keys ?? [];
    }
  }
  return items;
}

/**
 * The connections API Gateway says are gone, among items connected at least `CONNECTING_SECONDS` ago
 * (a younger one may still be in its own `$connect`, which API Gateway does not yet call open). Their
 * items are deleted too, so that the broadcaster stops posting to them.
 */
async function goneConnections(
  deps: LeaseDeps,
  items: ReadonlyMap<string, string>,
  nowSeconds: number,
): Promise<string[]> {
  const { connectionIsOpen } = deps;
  if (!connectionIsOpen) return [];
  const settled = [...items]
    .filter(([, connectedAt]) => Date.parse(connectedAt) / 1000 <= nowSeconds - CONNECTING_SECONDS)
    .map(([connectionId]) => connectionId);
  const gone: string[] = [];
  await forEachWithConcurrency(settled, LIVENESS_CONCURRENCY, async (connectionId) => {
    if (await connectionIsOpen(connectionId)) return;
    gone.push(connectionId);
    await deps.dynamo.send(new DeleteCommand({ TableName: deps.tableName, Key: { connectionId } }));
  });
  return gone;
}

async function removeLeases(deps: LeaseDeps, accountId: string, connectionIds: string[]): Promise<void> {
  for (let start = 0; start < connectionIds.length; start += REMOVE_PER_UPDATE) {
    const chunk = connectionIds.slice(start, start + REMOVE_PER_UPDATE);
    await conditionalUpdate(deps, {
      Key: leasesKey(accountId),
      UpdateExpression: `REMOVE ${chunk.map((_, index) => `leases.#c${index}`).join(', ')}`,
      // No item, no lease to release (and REMOVE of a path in a missing map is invalid).
      ConditionExpression: 'attribute_exists(leases)',
      ExpressionAttributeNames: Object.fromEntries(chunk.map((id, index) => [`#c${index}`, id])),
    });
  }
}
