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
  return { key: 'acct-1:e-1', event, rollupFailed: [], ...overrides };
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

  it('redrives a rollup-writer letter whose writer released the marker, at any age', () => {
    const item = eventCase(12 * DAY_MS, { rollupFailed: ['shard-0:100'] });
    expect(decide(item, { documents: [ownIndex(item)] }, NOW)).toEqual({
      action: 'redrive',
      why: 'not counted',
    });
  });

  it('redrives an event whose marker a record the writer gave up on or lost still holds: the writer fills what it lacks', () => {
    const partial = 'counted in part at most: the rollup writer fills what its record lacks';
    const letter = eventCase(DAY_MS, { rollupFailed: ['100'] });
    const batch = eventCase(5 * DAY_MS, { rollupFailed: ['shard-0:100'] });

    expect(decide(letter, { documents: [ownIndex(letter)], marker: marker('shard-0:100') }, NOW)).toEqual({
      action: 'redrive',
      why: partial,
    });
    expect(decide(batch, { documents: [], marker: marker('shard-0:100') }, NOW)).toEqual({
      action: 'redrive',
      why: `not indexed, ${partial}`,
    });
  });

  it('does not count twice an event another record counted, whatever letter the writer wrote', () => {
    const item = eventCase(DAY_MS, { rollupFailed: ['shard-0:100'] });
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

  it('redrives a record of a discarded rollup batch that never claimed a marker', () => {
    const item = eventCase(6 * DAY_MS, { rollupFailed: ['shard-0:100'] });
    expect(decide(item, { documents: [ownIndex(item)] }, NOW)).toEqual({
      action: 'redrive',
      why: 'not counted',
    });
  });

  it('refuses, past the window, to count an event whose other version is indexed in another daily index', () => {
    const item = eventCase(12 * DAY_MS, { rollupFailed: ['100'] });
    const decision = decide(item, { documents: ['events-2025.12.01'] }, NOW);
    expect(decision).toMatchObject({ action: 'refuse', why: expect.stringMatching(/events-2025.12.01/) });
  });
});
