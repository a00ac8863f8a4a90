/**
 * `reconcile`: for the events of a run, what each sink holds. Per event: indexed (its documents across
 * the event indices; more than one is a duplicate), counted (its dedupe marker in the rollups table: the
 * rollup writer claims it in the same pass that counts the event) and dead-lettered (by which consumer).
 * An accepted event is missing unless each durable sink has it or dead-lettered it. Per account: the
 * rollups' total over the hours of the run against the markers and the documents, which catches an
 * event counted twice (no marker can show that).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { mergeAll, readBuckets } from '../../lambdas/stats/rollup-reader.js';
import { bucketStart, coverWindow, nextBucketStart } from '../../lambdas/stats/time-buckets.js';
import type { LetterIndex } from '../dead-letters/letter-index.js';
import type { Progress } from '../output.js';
import { documentsOf, markersOf } from '../sink-state.js';
import type { RunEvent } from './run-events.js';

export interface ReconcileDeps {
  opensearch: OpenSearchClient;
  indexPrefix: string;
  dynamo: DynamoDBDocumentClient;
  rollupsTableName: string;
  maxFutureMs: number;
  letters: LetterIndex;
  progress?: Progress;
}

/** An event with something wrong. */
export interface Finding {
  key: string;
  tag: string;
  problem: 'missing' | 'duplicated' | 'unexpected';
  detail: string;
}

export interface GroupRow {
  tag: string;
  sent: number;
  accepted: number;
  indexed: number;
  counted: number;
  deadLettered: number;
  missing: number;
  duplicated: number;
  unexpected: number;
}

export interface AccountCheck {
  accountId: string;
  /** The whole hours the run's events fall in. */
  from: string;
  to: string;
  events: number;
  indexed: number;
  counted: number;
  /** Counted but not indexed: dead-lettered by the indexer. */
  countedNotIndexed: number;
  rollupTotal: number;
  /** Every document of the account in those hours, the run's or not. */
  openSearchTotal: number;
  /** Whether the account has documents in those hours other than the run's (then totals cannot be compared). */
  exclusive: boolean;
  /** Counted events with no known timestamp (no run file time, document or letter): totals not compared. */
  unplaced: number;
  problem?: string;
}

export interface ReconcileReport {
  groups: GroupRow[];
  total: GroupRow;
  accounts: AccountCheck[];
  findings: Finding[];
  unreadBatches: LetterIndex['unread'];
}

/** Reconciles the events of a run against what the sinks hold now. */
export async function reconcileEvents(input: RunEvent[], deps: ReconcileDeps): Promise<ReconcileReport> {
  const events = uniqueByKey(input);
  const documents = await documentsOf(
    deps.opensearch,
    deps.indexPrefix,
    events.map((event) => event.key),
    deps.progress,
  );
  const markers = await markersOf(deps.dynamo, deps.rollupsTableName, events);
  const groups = new Map<string, GroupRow>();
  const total = emptyRow('total');
  const findings: Finding[] = [];
  for (const event of events) {
    const docs = documents.get(event.key) ?? [];
    const counted = markers.has(event.key);
    const lettered = deps.letters.keys.get(event.key) ?? new Set<string>();
    const accepted = event.status === 'accepted';
    const row = groups.get(event.tag) ?? emptyRow(event.tag);
    groups.set(event.tag, row);
    const problems: Finding[] = [];
    if (accepted) {
      const lacks = [
        docs.length === 0 && !lettered.has('indexer') ? 'not indexed' : undefined,
        !counted && !lettered.has('rollup-writer') ? 'not counted' : undefined,
      ].filter(Boolean);
      if (lacks.length > 0)
        problems.push({ key: event.key, tag: event.tag, problem: 'missing', detail: lacks.join(', ') });
    }
    if (docs.length > 1) {
      problems.push({
        key: event.key,
        tag: event.tag,
        problem: 'duplicated',
        detail: `${docs.length} documents: ${docs.map((doc) => doc.index).join(', ')}`,
      });
    }
    if (event.status === 'rejected' && (docs.length > 0 || counted)) {
      problems.push({
        key: event.key,
        tag: event.tag,
        problem: 'unexpected',
        detail: 'rejected with a 4xx, yet stored',
      });
    }
    for (const target of [row, total]) {
      target.sent += 1;
      target.accepted += accepted ? 1 : 0;
      target.indexed += docs.length > 0 ? 1 : 0;
      target.counted += counted ? 1 : 0;
      target.deadLettered += lettered.size > 0 ? 1 : 0;
      for (const problem of problems) target[problem.problem] += 1;
    }
    findings.push(...problems);
  }
  const accounts = await checkAccounts(events, documents, markers, deps);
  return {
    groups: [...groups.values()].sort((a, b) => a.tag.localeCompare(b.tag)),
    total,
    accounts,
    findings,
    unreadBatches: deps.letters.unread,
  };
}

/** Whether a report shows loss, duplication, a stored rejection or a rollup total that does not add up. */
export function reportIsClean(report: ReconcileReport): boolean {
  return report.findings.length === 0 && report.accounts.every((account) => !account.problem);
}

async function checkAccounts(
  events: RunEvent[],
  documents: Map<string, { timestamp?: string }[]>,
  markers: Map<string, unknown>,
  deps: ReconcileDeps,
): Promise<AccountCheck[]> {
  const byAccount = new Map<string, RunEvent[]>();
  for (const event of events) {
    // Pushed, not copied: copying the account's list per event is quadratic in a run's size.
    const own = byAccount.get(event.accountId) ?? [];
    own.push(event);
    byAccount.set(event.accountId, own);
  }
  const checks: AccountCheck[] = [];
  for (const [accountId, own] of byAccount) {
    // An event is placed in time by the run file, its document, or the letter that holds it.
    const timeOf = (event: RunEvent) =>
      Date.parse(
        event.timestamp ??
          documents.get(event.key)?.[0]?.timestamp ??
          deps.letters.timestamps.get(event.key) ??
          '',
      );
    const times = own.map(timeOf).filter((at) => Number.isFinite(at));
    if (times.length === 0) continue;
    const unplaced = own.filter((event) => markers.has(event.key) && !Number.isFinite(timeOf(event)));
    // Folds, not Math.min(...times): spreading a run of 130,000 events overflows the call stack.
    const earliest = times.reduce((a, b) => Math.min(a, b));
    const latest = times.reduce((a, b) => Math.max(a, b));
    const from = bucketStart(earliest, 'hour');
    const to = nextBucketStart(bucketStart(latest, 'hour'), 'hour');
    const indexed = own.filter((event) => (documents.get(event.key)?.length ?? 0) > 0);
    const counted = own.filter((event) => markers.has(event.key));
    const runDocuments = own.reduce((sum, event) => sum + (documents.get(event.key)?.length ?? 0), 0);
    const [rollups, openSearchTotal] = await Promise.all([
      readBuckets(accountId, coverWindow(from, to, false), {
        dynamo: deps.dynamo,
        tableName: deps.rollupsTableName,
        maxFutureMs: deps.maxFutureMs,
      }),
      countDocuments(deps.opensearch, deps.indexPrefix, accountId, from, to),
    ]);
    const rollupTotal = mergeAll(rollups).total();
    const exclusive = openSearchTotal === runDocuments;
    const check: AccountCheck = {
      accountId,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      events: own.length,
      indexed: indexed.length,
      counted: counted.length,
      countedNotIndexed: counted.filter((event) => !documents.has(event.key)).length,
      rollupTotal,
      openSearchTotal,
      exclusive,
      unplaced: unplaced.length,
    };
    // A counted event that nothing places in time may be counted outside these hours: no exact total then.
    if (exclusive && unplaced.length === 0 && rollupTotal !== counted.length) {
      check.problem =
        rollupTotal > counted.length
          ? `the rollups count ${rollupTotal} events, markers claim ${counted.length}: ${rollupTotal - counted.length} more than claimed (counted twice, or a marker lost)`
          : `the rollups count ${rollupTotal} events, markers claim ${counted.length}: ${counted.length - rollupTotal} claimed but not (yet) applied`;
    }
    checks.push(check);
  }
  return checks.sort((a, b) => a.accountId.localeCompare(b.accountId));
}

async function countDocuments(
  opensearch: OpenSearchClient,
  prefix: string,
  accountId: string,
  from: number,
  to: number,
): Promise<number> {
  const { body } = await opensearch.count({
    index: `${prefix}-*`,
    expand_wildcards: ['open', 'closed'],
    allow_no_indices: true,
    body: {
      query: {
        bool: {
          filter: [
            { term: { account_id: accountId } },
            { range: { timestamp: { gte: new Date(from).toISOString(), lt: new Date(to).toISOString() } } },
          ],
        },
      },
    },
  });
  return body.count;
}

/** One entry per event key; an accepted copy wins over a failed one, a failed one over a rejected one. */
function uniqueByKey(events: RunEvent[]): RunEvent[] {
  const rank = { accepted: 2, failed: 1, rejected: 0 } as const;
  const byKey = new Map<string, RunEvent>();
  for (const event of events) {
    const existing = byKey.get(event.key);
    if (!existing || rank[event.status] > rank[existing.status]) byKey.set(event.key, event);
  }
  return [...byKey.values()];
}

function emptyRow(tag: string): GroupRow {
  return {
    tag,
    sent: 0,
    accepted: 0,
    indexed: 0,
    counted: 0,
    deadLettered: 0,
    missing: 0,
    duplicated: 0,
    unexpected: 0,
  };
}
