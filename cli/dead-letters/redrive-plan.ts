/**
 * What to do with one event that letters name, decided from what the sinks hold (pure).
 *
 * A redrive puts a copy of the record back on the stream with its original partition key, and every
 * consumer's own dedupe decides what the copy does: the indexer's registry and `create` with the event
 * key as `_id` index it at most once; the rollup writer's marker counts it at most once, and a copy of an
 * event whose counting record was applied in part only (a batch the mapping discarded, a record the
 * writer gave up on half-way) fills exactly the buckets the writer's applied log says it lacks. That
 * holds while the dedupe state exists, so before putting a copy the plan checks the sinks itself:
 *
 * - indexed: a document of the key exists in the event indices; the copy is then a 409 at the indexer.
 * - counted: the event's marker names a record the writer applied. A marker naming a record the writer
 *   gave up on or whose batch was discarded may have been applied in part: the copy goes back, and the
 *   writer fills what that record lacks (or takes it for a duplicate).
 * - the dedupe window: a marker lives `MARKER_TTL_SECONDS` (8 days) from counting. An event received
 *   less than that (less a margin) ago with no marker was never counted, and a copy is counted once. An
 *   older event with no marker may have been counted and its marker expired: unless the rollup writer
 *   gave up on it, the plan claims the marker for the redrive first, so the copy reaches only the
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
  /**
   * Records of the event the rollup writer gave up on (its letters) or whose batch its mapping discarded:
   * `<shard>:<sequence>`, or the bare sequence number when a letter does not name its shard.
   */
  rollupFailed: string[];
}

/** What the sinks hold of it. */
export interface SinkFacts {
  /** Indices holding a document of the key. */
  documents: string[];
  marker?: Marker;
}

export type Decision =
  | {
      action: 'redrive';
      why: string;
      /** Claim the marker for the redrive first, so the rollups do not count the copy. */
      block?: true;
      /** Extend the marker naming this record first, so it outlives the copy. */
      extend?: string;
    }
  | { action: 'done'; why: string }
  | { action: 'refuse'; why: string };

type RollupSide =
  | { state: 'counted'; extend?: string }
  | { state: 'not-counted' }
  /** Claimed by a record the writer gave up on or lost: applied in part, or not at all. */
  | { state: 'partial' }
  /** Not counted yet, but the writer has the original ahead of any copy: the copy will be a duplicate. */
  | { state: 'pending' }
  /** Past the dedupe window with no marker: counted long ago, as far as anyone can tell. */
  | { state: 'expired' };

/** Decides what a redrive does for one event at `now`. */
export function decide(item: EventCase, facts: SinkFacts, now: number): Decision {
  const rollups = rollupSide(item, facts, now);
  const indexed = facts.documents.length > 0;
  const needsCount = rollups.state === 'not-counted' || rollups.state === 'partial';
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
  const why = [
    indexed ? undefined : 'not indexed',
    rollups.state === 'not-counted' ? 'not counted' : undefined,
    rollups.state === 'partial'
      ? 'counted in part at most: the rollup writer fills what its record lacks'
      : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return {
    action: 'redrive',
    why,
    ...(rollups.state === 'expired' ? { block: true as const } : {}),
    ...(rollups.state === 'counted' && rollups.extend ? { extend: rollups.extend } : {}),
  };
}

function rollupSide(item: EventCase, facts: SinkFacts, now: number): RollupSide {
  const { marker } = facts;
  if (!marker) {
    if (item.rollupFailed.length > 0) return { state: 'not-counted' };
    return withinWindow(item.event, now) ? { state: 'pending' } : { state: 'expired' };
  }
  const claimer = marker.countedBy;
  const failedClaimer = item.rollupFailed.some((record) =>
    record.includes(':') ? record === claimer : claimer.endsWith(`:${record}`),
  );
  return failedClaimer ? { state: 'partial' } : counted(marker, now);
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
