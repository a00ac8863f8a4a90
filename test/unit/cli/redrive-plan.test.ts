import { describe, expect, it } from 'vitest';
import { DEDUPE_MARGIN_MS, decide, type EventCase } from '../../../cli/dead-letters/redrive-plan.js';
import { MARKER_TTL_SECONDS } from '../../../lambdas/stats/rollup-model.js';
import { storedEvent } from '../../helpers/factories.js';

const NOW = Date.parse('2026-01-20T12:00:00.000Z');
const DAY_MS = 24 * 3600 * 1000;

/** An event received `ageMs` before NOW, stamped the same instant (its daily index: events-2026.01.xx). */
function eventCase(ageMs: number, overrides: Partial<EventCase> = {}): EventCase {
  const at = new Date(NOW - ageMs).toISOString();
  const event = storedEvent({ account_id: 'acct-1', event_id: 'e-1', timestamp: at, received_at: at });
  return { key: 'acct-1:e-1', event, rollupGaveUp: [], rollupDiscarded: [], ...overrides };
}
const ownIndex = (item: EventCase) => `events-${item.event.timestamp.slice(0, 10).replaceAll('-', '.')}`;
const marker = (countedBy: string, expiresInMs = 5 * DAY_MS) => ({
  countedBy,
  expiresAt: Math.floor((NOW + expiresInMs) / 1000),
});

describe('what a redrive does for an event', () => {
  it('puts an indexer letter back when the event is not indexed; the rollups dedupe the copy by its marker', () => {
    const item = eventCase(DAY_MS);
    expect(decide(item, { documents: [], marker: marker('shard-0:100') }, NOW)).toEqual({
      action: 'redrive',
      why: 'not indexed',
    });
  });

  it('skips an event already indexed and counted (a duplicate letter)', () => {
    const item = eventCase(DAY_MS);
    const decision = decide(item, { documents: [ownIndex(item)], marker: marker('shard-0:100') }, NOW);
    expect(decision).toEqual({ action: 'done', why: 'already indexed and counted' });
  });

  it('within the dedupe window, takes a missing marker for "not counted yet": the writer has the original ahead of any copy', () => {
    const item = eventCase(DAY_MS);
    expect(decide(item, { documents: [] }, NOW)).toEqual({ action: 'redrive', why: 'not indexed' });
    expect(decide(item, { documents: [ownIndex(item)] }, NOW)).toMatchObject({ action: 'done' });
  });

  it('releases the marker that the very record the rollup writer gave up on had claimed, then redrives', () => {
    const item = eventCase(DAY_MS, { rollupGaveUp: ['100'] });
    const decision = decide(item, { documents: [ownIndex(item)], marker: marker('shard-0:100') }, NOW);
    expect(decision).toEqual({ action: 'redrive', why: 'not counted', release: 'shard-0:100' });
  });

  it('redrives a rollup-writer letter whose writer already released the marker, at any age', () => {
    const item = eventCase(12 * DAY_MS, { rollupGaveUp: ['100'] });
    expect(decide(item, { documents: [ownIndex(item)] }, NOW)).toEqual({
      action: 'redrive',
      why: 'not counted',
    });
  });

  it('does not count twice an event another record counted, whatever letter the writer wrote', () => {
    const item = eventCase(DAY_MS, { rollupGaveUp: ['100'] });
    const decision = decide(item, { documents: [ownIndex(item)], marker: marker('shard-0:77') }, NOW);
    expect(decision).toMatchObject({ action: 'done' });
  });

  it('past the dedupe window with no marker, claims the marker first so the copy reaches only the indexer', () => {
    const item = eventCase(MARKER_TTL_SECONDS * 1000);
    expect(decide(item, { documents: [] }, NOW)).toEqual({
      action: 'redrive',
      why: 'not indexed',
      block: true,
    });
  });

  it('extends a marker that would expire before the copy is read', () => {
    const item = eventCase(DAY_MS);
    const decision = decide(
      item,
      { documents: [], marker: marker('shard-0:100', DEDUPE_MARGIN_MS / 2) },
      NOW,
    );
    expect(decision).toEqual({ action: 'redrive', why: 'not indexed', extend: 'shard-0:100' });
  });

  it('refuses a record of a discarded rollup batch that claimed its marker, unless the writer says whether it applied it', () => {
    const item = eventCase(5 * DAY_MS, { rollupDiscarded: ['shard-0:100'] });
    const facts = { documents: [ownIndex(item)], marker: marker('shard-0:100') };

    expect(decide(item, facts, NOW)).toMatchObject({
      action: 'refuse',
      why: expect.stringMatching(/applied/),
    });
    expect(decide(item, { ...facts, applied: () => 'applied' }, NOW)).toMatchObject({ action: 'done' });
    expect(decide(item, { ...facts, applied: () => 'not-applied' }, NOW)).toEqual({
      action: 'redrive',
      why: 'not counted',
      release: 'shard-0:100',
    });
  });

  it('redrives a record of a discarded rollup batch that never claimed a marker', () => {
    const item = eventCase(6 * DAY_MS, { rollupDiscarded: ['shard-0:100'] });
    expect(decide(item, { documents: [ownIndex(item)] }, NOW)).toEqual({
      action: 'redrive',
      why: 'not counted',
    });
  });

  it('refuses, past the window, to count an event whose other version is indexed in another daily index', () => {
    const item = eventCase(12 * DAY_MS, { rollupGaveUp: ['100'] });
    const decision = decide(item, { documents: ['events-2025.12.01'] }, NOW);
    expect(decision).toMatchObject({ action: 'refuse', why: expect.stringMatching(/events-2025.12.01/) });
  });
});
