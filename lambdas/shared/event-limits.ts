/**
 * The event limits as plain constants, apart from the zod schema so that code needing only a number
 * (config, docs, the small functions) does not bundle zod.
 */

/** An event's serialized JSON may not exceed 32 KB (Segment's per-event limit). */
export const MAX_EVENT_BYTES = 32 * 1024;
/** A request may carry at most 500 events (the PutRecords record limit). */
export const MAX_BATCH_EVENTS = 500;
/** A request body may not exceed 1 MB. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const EVENT_ID_MAX_LENGTH = 128;
export const EVENT_TYPE_MAX_LENGTH = 64;
export const ACCOUNT_ID_MAX_LENGTH = 128;
export const ID_MAX_LENGTH = 256;
export const PATH_MAX_LENGTH = 2048;
export const USER_AGENT_MAX_LENGTH = 1024;

/** Event types: lower-case letters, digits and `_ . : -`. */
export const EVENT_TYPE_PATTERN = /^[a-z0-9_.:-]+$/;

/**
 * Default bounds on a client-supplied timestamp, relative to the receipt time. The past bound is the
 * backfill horizon: an event up to 90 days old is accepted and counted in the rollup buckets of its own
 * time (ingest and the rollup writer read the same setting, `EVENT_MAX_PAST_SECONDS`).
 */
export const DEFAULT_MAX_PAST_MS = 90 * 24 * 3600 * 1000;
export const DEFAULT_MAX_FUTURE_MS = 3600 * 1000;
/** The longest backfill horizon that can be configured: the rollups keep hour and day buckets 400 days. */
export const MAX_BACKFILL_HORIZON_MS = 365 * 24 * 3600 * 1000;

export interface TimestampBounds {
  maxPastMs: number;
  maxFutureMs: number;
}
