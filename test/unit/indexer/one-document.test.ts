/**
 * One event, one document: whatever timestamp a resend carries, the first version indexed stays the only
 * document of its key, under redelivery and across a crash between registering and writing.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  expiredRegistryIndices,
  registryIndexName,
  registryIndicesToRead,
  registryPeriod,
} from '../../../lambdas/indexer/event-registry.js';
import { indexRecords } from '../../../lambdas/indexer/indexer-core.js';
import { everyLetterAccepted } from '../../helpers/dead-letter-factories.js';
import { kinesisEvent, storedEvent } from '../../helpers/factories.js';
import { FakeOpenSearch } from '../../helpers/fake-opensearch.js';
import { indexerDeadline, indexerDeps } from '../../helpers/indexer-fixtures.js';

const sqs = mockClient(SQSClient);
const deadline = indexerDeadline;

const deps = indexerDeps;

const first = storedEvent({
  event_id: 'resent',
  timestamp: '2026-01-14T08:00:00.000Z',
  received_at: '2026-01-14T08:00:01.000Z',
  properties: { version: 1 },
});
const resend = {
  ...first,
  timestamp: '2026-01-15T09:00:00.000Z',
  received_at: '2026-01-15T09:00:02.000Z',
  properties: { version: 2 },
};

/** The first version's daily index refuses its document (a mapping conflict). */
function refuseFirstDay(search: FakeOpenSearch): void {
  search.failItem = ({ index }) =>
    index === 'events-2026.01.14'
      ? { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse [properties]' } }
      : undefined;
}

describe('one event, one document', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake(everyLetterAccepted);
  });

  it('keeps the first version when a resend carries a timestamp on another day', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    await indexRecords(kinesisEvent([first]).Records, deps(search), deadline());

    // Act
    const outcome = await indexRecords(kinesisEvent([resend]).Records, deps(search), deadline());

    // Assess
    expect(search.documents('events-')).toEqual([
      { index: 'events-2026.01.14', id: 'acct-1:resent', source: first },
    ]);
    expect(outcome.counts).toMatchObject({ done: 0, duplicate: 1, deadLettered: 0, failed: 0 });
  });

  it('keeps the first of two versions in one batch', async () => {
    // Prepare
    const search = new FakeOpenSearch();

    // Act
    const outcome = await indexRecords(kinesisEvent([first, resend]).Records, deps(search), deadline());

    // Assess
    expect(search.documents('events-').map((doc) => doc.source)).toEqual([first]);
    expect(outcome.counts).toMatchObject({ done: 1, duplicate: 1 });
  });

  it('completes a document whose registration a crash left behind, in the registered day', async () => {
    // Prepare: the first delivery registered the event, then the process died before writing it.
    const search = new FakeOpenSearch();
    search.failRequest = (kind, call) =>
      kind === 'bulk' && call === 2 ? new Error('process killed') : undefined;
    const noTimeForRetries = Date.parse('2026-01-15T10:30:00.000Z');
    const crashed = await indexRecords(kinesisEvent([first]).Records, deps(search), noTimeForRetries);
    expect(crashed.counts.failed).toBe(1);
    expect(search.documents('events-')).toEqual([]);
    search.failRequest = () => undefined;

    // Act: the same record is redelivered, then the client's resend arrives.
    const redelivery = await indexRecords(kinesisEvent([first]).Records, deps(search), deadline());
    await indexRecords(kinesisEvent([resend]).Records, deps(search), deadline());

    // Assess
    expect(redelivery.counts).toMatchObject({ done: 1, failed: 0 });
    expect(search.documents('events-')).toEqual([
      { index: 'events-2026.01.14', id: 'acct-1:resent', source: first },
    ]);
  });

  it('keeps the first version though its document was dead-lettered: a later version is a duplicate, the redrive indexes the first', async () => {
    // Prepare: the first version's daily index refuses its document (a mapping conflict)
    const search = new FakeOpenSearch();
    refuseFirstDay(search);
    const dead = await indexRecords(kinesisEvent([first]).Records, deps(search), deadline());
    expect(dead.counts).toMatchObject({ deadLettered: 1 });

    // Act: the later version arrives, then the index is fixed and the letter redriven
    const later = await indexRecords(kinesisEvent([resend]).Records, deps(search), deadline());
    search.failItem = () => undefined;
    const redrive = await indexRecords(kinesisEvent([first]).Records, deps(search), deadline());

    // Assess: one document, the first version's, as the rollups count it
    expect(later.counts).toMatchObject({ done: 0, duplicate: 1, deadLettered: 0 });
    expect(redrive.counts).toMatchObject({ done: 1 });
    expect(search.documents('events-')).toEqual([
      { index: 'events-2026.01.14', id: 'acct-1:resent', source: first },
    ]);
  });

  it('indexes the redrive of a dead-lettered first version that comes behind a later version in one batch', async () => {
    // Prepare: the first version's document was dead-lettered after its registration
    const search = new FakeOpenSearch();
    refuseFirstDay(search);
    await indexRecords(kinesisEvent([first]).Records, deps(search), deadline());
    search.failItem = () => undefined;

    // Act: the index is fixed; a client's later version and the redrive of the first share a batch
    const outcome = await indexRecords(kinesisEvent([resend, first]).Records, deps(search), deadline());

    // Assess: one document, the first version's
    expect(outcome.counts).toMatchObject({ done: 1, duplicate: 1, failed: 0 });
    expect(search.documents('events-')).toEqual([
      { index: 'events-2026.01.14', id: 'acct-1:resent', source: first },
    ]);
  });

  it('re-reads the registry when another delivery registered the key in the meantime', async () => {
    // Prepare: between this batch's lookup and its registration, another version registers the key.
    const search = new FakeOpenSearch();
    const lookUp = search.mget.bind(search);
    search.mget = async (params, options) => {
      const answer = await lookUp(params, options);
      if (search.mgetCalls.length === 1) {
        await search.bulk({
          body: [
            {
              create: {
                _index: registryIndexName('events', registryPeriod(first.received_at)),
                _id: 'acct-1:resent',
              },
            },
            { timestamp: first.timestamp },
          ],
        });
      }
      return answer;
    };

    // Act
    const outcome = await indexRecords(kinesisEvent([resend]).Records, deps(search), deadline());

    // Assess
    expect(outcome.counts).toMatchObject({ done: 0, duplicate: 1, deadLettered: 0, failed: 0 });
    expect(search.documents('events-')).toEqual([]);
  });

  it('deletes registry periods past retention once per period', async () => {
    // Prepare
    const search = new FakeOpenSearch();
    const state = {};

    // Act
    await indexRecords(
      kinesisEvent([storedEvent()]).Records,
      deps(search, { registryRetention: state }),
      deadline(),
    );
    await indexRecords(
      kinesisEvent([storedEvent()]).Records,
      deps(search, { registryRetention: state }),
      deadline(),
    );

    // Assess
    const registryDeletes = search.deleted.filter((names) => names[0]?.startsWith('events_registry-'));
    expect(registryDeletes).toHaveLength(1);
    expect(registryDeletes[0]?.[0]).toBe('events_registry-2025.12.18');
  });
});

describe('the registry periods', () => {
  it('read the period of the receipt and the one before, so a resend within 8 days is always found', () => {
    // Act
    const read = registryIndicesToRead('events', '2026-01-15T09:00:00.000Z');
    const registeredAt = (at: string) => registryIndexName('events', registryPeriod(at));

    // Assess
    expect(read).toEqual(['events_registry-2026.01.03', 'events_registry-2026.01.11']);
    for (const earlier of [
      '2026-01-07T09:00:00.000Z',
      '2026-01-11T00:00:00.000Z',
      '2026-01-15T08:59:59.999Z',
    ]) {
      expect(read).toContain(registeredAt(earlier));
    }
  });

  it('keep three periods and name the older ones for deletion', () => {
    // Act
    const expired = expiredRegistryIndices('events', Date.parse('2026-01-15T09:00:00.000Z'));

    // Assess
    expect(expired[0]).toBe('events_registry-2025.12.18');
    expect(expired).not.toContain('events_registry-2025.12.26');
    expect(expired).toHaveLength(12);
  });
});
