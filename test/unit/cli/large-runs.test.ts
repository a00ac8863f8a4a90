/**
 * The operator tools at the sizes an outage leaves behind: a run of 130,000 events, a queue of 130,000
 * letters. Spreading that many values into `Math.min(...)` overflows the call stack, so each tool must
 * fold them instead, and answer.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseLetter } from '../../../cli/dead-letters/letters.js';
import { groupLetters } from '../../../cli/dead-letters/report.js';
import { formatTable } from '../../../cli/output.js';
import { reconcileEvents } from '../../../cli/reconcile/reconcile-core.js';
import { parseRunFile } from '../../../cli/reconcile/run-events.js';
import { eventDeadLetter, queueMessage } from '../../helpers/dead-letter-factories.js';
import { storedEvent } from '../../helpers/factories.js';

/** More values than a call can take as arguments on Node 20. */
const MANY = 130_000;
const dynamo = mockClient(DynamoDBDocumentClient);

/** An OpenSearch that holds no document. */
const emptyOpenSearch = {
  search: async () => ({ body: { hits: { hits: [], total: { value: 0 } } } }),
  count: async () => ({ body: { count: 0 } }),
} as unknown as OpenSearchClient;

describe('a run or a queue of 130,000', () => {
  beforeEach(() => {
    dynamo.reset();
    dynamo.on(BatchGetCommand).resolves({ Responses: {} });
    dynamo.on(GetCommand).resolves({});
  });

  it('reconciles a run of one account, placing it in time', async () => {
    // Prepare
    const lines = Array.from({ length: MANY }, (_, index) =>
      JSON.stringify({
        account_id: 'acct-big',
        event_id: `e-${index}`,
        timestamp: new Date(Date.UTC(2026, 0, 15, 10) + index).toISOString(),
        status: 'accepted',
      }),
    );
    const events = parseRunFile(lines.join('\n'));

    // Act
    const report = await reconcileEvents(events, {
      opensearch: emptyOpenSearch,
      indexPrefix: 'events',
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      rollupsTableName: 'rollups',
      maxFutureMs: 0,
      letters: { keys: new Map(), timestamps: new Map(), unread: [] },
    });

    // Assess
    expect(report.total).toMatchObject({ sent: MANY, missing: MANY });
    expect(report.accounts).toEqual([
      expect.objectContaining({
        accountId: 'acct-big',
        events: MANY,
        from: '2026-01-15T10:00:00.000Z',
        to: '2026-01-15T11:00:00.000Z',
      }),
    ]);
  }, 30_000);

  it('groups a queue of letters with its oldest and newest, and lists them in a table', () => {
    // Prepare
    const letter = parseLetter(queueMessage(eventDeadLetter(storedEvent())));
    const letters = Array.from({ length: MANY }, (_, index) => ({
      ...letter,
      id: `letter-${index}`,
      at: Date.UTC(2026, 0, 15) + index,
    }));

    // Act
    const groups = groupLetters(letters);
    const table = formatTable(
      ['id', 'reason'],
      letters.map((letter) => [letter.id, letter.reasonCode]),
    );

    // Assess
    expect(groups).toEqual([
      expect.objectContaining({
        letters: MANY,
        oldest: '2026-01-15T00:00:00.000Z',
        newest: new Date(Date.UTC(2026, 0, 15) + MANY - 1).toISOString(),
      }),
    ]);
    expect(table.split('\n')).toHaveLength(MANY + 3);
  });
});
