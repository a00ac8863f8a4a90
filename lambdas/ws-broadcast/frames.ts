/**
 * Live frames: `{"type":"events","events":[...]}` messages of at most 32 KB (API Gateway's WebSocket
 * frame size), small events batched into as few frames as they fit in, in order.
 *
 * Admission takes events up to 32 KB as sent, and the server adds fields, so a stored event can be
 * larger than a frame. Such an event is pushed in a truncated form, flagged as such, rather than not at
 * all: every field but `properties` and the user agent, plus `"truncated": true` and the size of the
 * whole event (`size_bytes`), which the stats API's `/events` still returns in full.
 */
import { type StoredEvent, WEBSOCKET_FRAME_BYTES } from '../shared/event-schema.js';

/** API Gateway WebSocket frame limit. */
export const MAX_FRAME_BYTES = WEBSOCKET_FRAME_BYTES;
/**
 * The smallest frame limit this module accepts: a truncated event (ids, type, timestamps, path: bounded
 * by the schema) always fits in it, so no event is ever left out.
 */
export const MIN_FRAME_BYTES = 4 * 1024;

const FRAME_PREFIX = '{"type":"events","events":[';
const FRAME_SUFFIX = ']}';
const FRAME_OVERHEAD = Buffer.byteLength(FRAME_PREFIX + FRAME_SUFFIX);

/** Fields a truncated event keeps: those a feed shows and filters on. */
const KEPT_WHEN_TRUNCATED = [
  'event_id',
  'account_id',
  'type',
  'timestamp',
  'received_at',
  'user_id',
  'anonymous_id',
  'session_id',
  'path',
  'value',
] as const;
/** What is left when even that does not fit (only with a frame limit far below 32 KB). */
const KEPT_AT_LEAST = ['event_id', 'account_id', 'type', 'timestamp', 'received_at'] as const;

/** An event serialized once, for every connection that gets it. */
export interface FrameEvent {
  event: StoredEvent;
  json: string;
  bytes: number;
  truncated: boolean;
}

/** The JSON an event is pushed as: whole when it fits in a frame alone, else truncated and flagged. */
export function frameEvent(event: StoredEvent, maxFrameBytes: number = MAX_FRAME_BYTES): FrameEvent {
  checkFrameLimit(maxFrameBytes);
  const whole = JSON.stringify(event);
  const wholeBytes = Buffer.byteLength(whole);
  if (FRAME_OVERHEAD + wholeBytes <= maxFrameBytes) {
    return { event, json: whole, bytes: wholeBytes, truncated: false };
  }
  for (const kept of [KEPT_WHEN_TRUNCATED, KEPT_AT_LEAST]) {
    const json = JSON.stringify({ ...pick(event, kept), truncated: true, size_bytes: wholeBytes });
    const bytes = Buffer.byteLength(json);
    if (FRAME_OVERHEAD + bytes <= maxFrameBytes) return { event, json, bytes, truncated: true };
  }
  // Unreachable: ids and type are bounded by the schema far below MIN_FRAME_BYTES.
  throw new Error(`event ${event.event_id.slice(0, 128)} does not fit a frame even truncated`);
}

/** Packs events, in order, into as few frames of at most `maxFrameBytes` as they fit in. */
export function packFrames(events: readonly FrameEvent[], maxFrameBytes: number = MAX_FRAME_BYTES): string[] {
  checkFrameLimit(maxFrameBytes);
  const frames: string[] = [];
  let parts: string[] = [];
  let bytes = FRAME_OVERHEAD;
  for (const { json, bytes: size } of events) {
    const separator = parts.length > 0 ? 1 : 0;
    if (parts.length > 0 && bytes + separator + size > maxFrameBytes) {
      frames.push(FRAME_PREFIX + parts.join(',') + FRAME_SUFFIX);
      parts = [];
      bytes = FRAME_OVERHEAD;
    }
    bytes += (parts.length > 0 ? 1 : 0) + size;
    parts.push(json);
  }
  if (parts.length > 0) frames.push(FRAME_PREFIX + parts.join(',') + FRAME_SUFFIX);
  return frames;
}

function checkFrameLimit(maxFrameBytes: number): void {
  if (maxFrameBytes < MIN_FRAME_BYTES) {
    throw new Error(`the frame limit must be at least ${MIN_FRAME_BYTES} bytes, got ${maxFrameBytes}`);
  }
}

function pick(event: StoredEvent, fields: readonly (keyof StoredEvent)[]): Partial<StoredEvent> {
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (event[field] !== undefined) picked[field] = event[field];
  return picked as Partial<StoredEvent>;
}
