import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../../lambdas/shared/api-keys.js';
import { HttpError } from '../../../lambdas/shared/http.js';
import { fromItem, toItem } from '../../../lambdas/stats/rollup-model.js';
import { getSummary, parseWindow } from '../../../lambdas/stats/stats-core.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const KEYS: Record<string, ApiKeyRecord> = {
  'rk-1': { accountId: 'acct-1', scope: 'read' },
  'wk-1': { accountId: 'acct-1', scope: 'write' },
  'rk-2': { accountId: 'acct-2', scope: 'read' },
};

const deps = () => ({
  dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  tableName: 'rollups',
  lookupApiKey: async (key: string) => KEYS[key],
  now: () => new Date('2026-01-15T10:30:00.000Z'),
});

async function httpErrorOf(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
}

describe('parseWindow', () => {
  it('defaults to last_24h and names the allowed values when unknown', () => {
    // Act
    const fallback = parseWindow(undefined);
    const error = (() => {
      try {
        parseWindow('last_year');
      } catch (caught) {
        return caught as HttpError;
      }
    })();

    // Assess
    expect(fallback).toBe('last_24h');
    expect(parseWindow('last_7d')).toBe('last_7d');
    expect(error?.statusCode).toBe(400);
    expect(error?.message).toBe(
      'window must be one of last_1h, last_24h, last_7d, last_30d; got "last_year"',
    );
  });
});

describe('getSummary', () => {
  beforeEach(() => {
    dynamo.reset();
  });

  it('sums the hourly rollups of the window', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({
      Items: [
        toItem({
          accountId: 'acct-1',
          granularity: 'hour',
          bucket: '2026-01-15T09',
          total: 3,
          byType: { login: 1, page_view: 2 },
          users: new Set(['u1', 'u2']),
        }),
        toItem({
          accountId: 'acct-1',
          granularity: 'hour',
          bucket: '2026-01-15T10',
          total: 1,
          byType: { page_view: 1 },
          users: new Set(['u2', 'u3']),
        }),
      ],
    });

    // Act
    const summary = await getSummary({ accountId: 'acct-1', apiKey: 'rk-1', window: 'last_1h' }, deps());

    // Assess
    expect(summary).toEqual({
      account_id: 'acct-1',
      window: { from: '2026-01-15T09:00:00.000Z', to: '2026-01-15T10:30:00.000Z' },
      total: 4,
      by_type: { login: 1, page_view: 3 },
      unique_users: 3,
    });
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':pk': 'ACC#acct-1',
      ':low': 'H#2026-01-15T09',
      ':high': 'H#2026-01-15T10',
    });
  });

  it('answers 404 when the account has no data in the window', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({ Items: [] });

    // Act
    const error = await httpErrorOf(
      getSummary({ accountId: 'acct-1', apiKey: 'rk-1', window: null }, deps()),
    );

    // Assess
    expect(error.statusCode).toBe(404);
  });

  it("answers 403 for a write key and for another account's key, 401 without a key", async () => {
    // Act
    const writeKey = await httpErrorOf(
      getSummary({ accountId: 'acct-1', apiKey: 'wk-1', window: null }, deps()),
    );
    const otherAccount = await httpErrorOf(
      getSummary({ accountId: 'acct-1', apiKey: 'rk-2', window: null }, deps()),
    );
    const noKey = await httpErrorOf(
      getSummary({ accountId: 'acct-1', apiKey: undefined, window: null }, deps()),
    );

    // Assess
    expect([writeKey.statusCode, otherAccount.statusCode, noKey.statusCode]).toEqual([403, 403, 401]);
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(0);
  });
});

describe('rollup model', () => {
  it('round-trips a rollup through toItem and fromItem', () => {
    // Prepare
    const rollup = {
      accountId: 'acct-1',
      granularity: 'day' as const,
      bucket: '2026-01-15',
      total: 2,
      byType: { 'checkout.done': 2 },
      users: new Set(['u1']),
    };

    // Act
    const item = toItem(rollup);

    // Assess
    expect(item).toMatchObject({ pk: 'ACC#acct-1', sk: 'D#2026-01-15', total: 2, 'type:checkout.done': 2 });
    expect(fromItem(item)).toEqual(rollup);
    expect(fromItem({ pk: 'ACC#acct-1', sk: 'EVT#e1', expiresAt: 1 })).toBeUndefined();
  });
});
