/**
 * Filling the gap a dropped connection left: the events of `/events` since shortly before what the
 * page last saw, page by page (bounded), handed to the feed, which drops those it already has.
 */
import type { EventsPage, LiveEvent } from './types.js';

/** Events stamped this long before the last one seen are asked for again (clock skew between clients). */
export const GAP_OVERLAP_MS = 60_000;
/** A dashboard shows the last day; older gaps are not filled. */
export const MAX_GAP_MS = 24 * 3600_000;
export const GAP_PAGE_SIZE = 100;
export const MAX_GAP_PAGES = 5;

/**
 * Where the gap starts: before the newest event seen and before the drop (a page may have seen no event
 * for a while, or one stamped ahead of its time), minus the overlap, and no further back than a day.
 */
export function gapStart(now: number, droppedAt: number, newestSeen: number | undefined): number {
  const from = Math.min(droppedAt, newestSeen ?? droppedAt) - GAP_OVERLAP_MS;
  return Math.max(from, now - MAX_GAP_MS);
}

/** Reads the gap's events, newest first, at most `MAX_GAP_PAGES` pages; returns how many it read. */
export async function fillGap(
  readPage: (from: string, cursor: string | undefined) => Promise<EventsPage>,
  from: number,
  onEvents: (events: LiveEvent[]) => void,
): Promise<number> {
  let cursor: string | undefined;
  let read = 0;
  for (let page = 0; page < MAX_GAP_PAGES; page += 1) {
    const answer = await readPage(new Date(from).toISOString(), cursor);
    read += answer.events.length;
    onEvents(answer.events);
    if (!answer.next_cursor) break;
    cursor = answer.next_cursor;
  }
  return read;
}
