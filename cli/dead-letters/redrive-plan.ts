/**
 * What to do with one event that letters name, decided from what the sinks hold (pure).
 *
 * A redrive puts a copy of the record back on the stream with its original partition key, and every
 * consumer's own dedupe decides what the copy does: the indexer's registry and `create` with the event
 * key as `_id` index it at most once, the rollup writer's dedupe marker counts it at most once. That holds
 * while the dedupe state exists, so before putting a copy the plan checks the sinks itself:
 *
 * - indexed: a document of the key exists in the event indices; the copy is then a 409 at the indexer.
 * - counted: the event's marker names a record that the rollup writer applied. A marker naming the very
 *   record the writer gave up on (a rollup-writer letter) was not applied: it is released first, so the
 *   copy can claim it. A marker naming a record of a discarded batch may or may not have been applied:
 *   only the writer's record of applied records can say (`applied`); without it the event is refused.
 * - the dedupe window: a marker lives `MARKER_TTL_SECONDS` (8 days) from counting. An event received
 *   less than that (less a margin) ago with no marker was never counted, and a copy is counted once. An
 *   older event with no marker may have been counted and its marker expired: if nothing says the rollup
 *   writer gave up on it, the plan claims the marker for the redrive first, so the copy reaches only the
 *   indexer. A marker about to expire is extended so that it outlives the copy.
 *
 * An event already indexed and counted needs nothing: its letters are resolved as duplicates.
 */
import { eventsIndexName } from '../../lambdas/indexer/index-template.js';
import type { StoredEvent } from '../../lambdas/shared/event-schema.js';
import { MARKER_TTL_SECONDS } from '../../lambdas/stats/rollup-model.js';
import { OPENSEARCH } from '../../lib/topology.js';
import type { Marker } from '../sink-state.js';

/** Time kept between a decision and the consumers' reading of the copy. */
export const DEDUPE_MARGIN_MS = 3_600_000;

/** What the letters say about one event. */
export interface EventCase {
  key: string;
  event: StoredEvent;
  /** Sequence numbers of records the rollup writer dead-lettered (it never applied them). */
  rollupGaveUp: string[];
  /** `<shard>:<sequence>` of the event's records in batches the rollup writer's mapping discarded. */
  rollupDiscarded: string[];
}

/** What the sinks hold of it. */
export interface SinkFacts {
  /** Indices holding a document of the key. */
  documents: string[];
  marker?: Marker;
  /** Whether the rollup writer applied a record of a discarded batch, when it can say. */
  applied?: (recordId: string) => 'applied' | 'not-applied' | 'unknown';
}

export type Decision =
  | {
      action: 'redrive';
      why: string;
      /** Delete the marker first if it still names this record. */
      release?: string;
      /** Claim the marker for the redrive first, so the rollups do not count the copy. */
      block?: true;
      /** Extend the marker naming this record first, so it outlives the copy. */
      extend?: string;
    }
  | { action: 'done'; why: string }
  | { action: 'refuse'; why: string };

type RollupSide =
  | { state: 'counted'; extend?: string }
  | { state: 'not-counted'; release?: string }
  /** Not counted yet, but the writer has the original ahead of any copy: the copy will be a duplicate. */
  | { state: 'pending' }
  /** Past the dedupe window with no marker: counted long ago, as far as anyone can tell. */
  | { state: 'expired' }
  | { state: 'unknown'; why: string };

/** Decides what a redrive does for one event at `now`. */
export function decide(item: EventCase, facts: SinkFacts, now: number): Decision {
  const rollups = rollupSide(item, facts, now);
  if (rollups.state === 'unknown') return { action: 'refuse', why: rollups.why };
  const indexed = facts.documents.length > 0;
  const needsCount = rollups.state === 'not-counted';
  if (indexed && !needsCount) {
    return {
      action: 'done',
      why:
        rollups.state === 'pending'
          ? 'already indexed; the rollup writer has the original'
          : 'already indexed and counted',
    };
  }
  const ownIndex = eventsIndexName(OPENSEARCH.eventsIndexPrefix, item.event.timestamp);
  if (indexed && !facts.documents.includes(ownIndex) && !withinWindow(item.event, now)) {
    return {
      action: 'refuse',
      why: `a version of the event is indexed in ${facts.documents.join(', ')}; past the registry's window a copy could be indexed a second time`,
    };
  }
  const why = [indexed ? undefined : 'not indexed', needsCount ? 'not counted' : undefined]
    .filter(Boolean)
    .join(', ');
  return {
    action: 'redrive',
    why,
    ...(rollups.state === 'not-counted' && rollups.release ? { release: rollups.release } : {}),
    ...(rollups.state === 'expired' ? { block: true as const } : {}),
    ...(rollups.state === 'counted' && rollups.extend ? { extend: rollups.extend } : {}),
  };
}

function rollupSide(item: EventCase, facts: SinkFacts, now: number): RollupSide {
  const { marker } = facts;
  if (!marker) {
    if (item.rollupGaveUp.length > 0 || item.rollupDiscarded.length > 0) return { state: 'not-counted' };
    return withinWindow(item.event, now) ? { state: 'pending' } : { state: 'expired' };
  }
  const claimer = marker.countedBy;
  if (item.rollupGaveUp.some((sequence) => claimer.endsWith(`:${sequence}`))) {
    return { state: 'not-counted', release: claimer };
  }
  if (item.rollupDiscarded.includes(claimer)) {
    const applied = facts.applied?.(claimer) ?? 'unknown';
    if (applied === 'applied') return counted(marker, now);
    if (applied === 'not-applied') return { state: 'not-counted', release: claimer };
    return {
      state: 'unknown',
      why: `record ${claimer} claimed the event's marker before its batch was discarded, and nothing records whether the rollup writer applied it`,
    };
  }
  return counted(marker, now);
}

function counted(marker: Marker, now: number): RollupSide {
  return marker.expiresAt * 1000 - now < DEDUPE_MARGIN_MS
    ? { state: 'counted', extend: marker.countedBy }
    : { state: 'counted' };
}

/** Whether a marker claimed when the event arrived would still exist (with the margin) at `now`. */
function withinWindow(event: StoredEvent, now: number): boolean {
  return now - Date.parse(event.received_at) < MARKER_TTL_SECONDS * 1000 - DEDUPE_MARGIN_MS;
}
