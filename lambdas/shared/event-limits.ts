/**
 * The event limits as plain constants, apart from the zod schema so that code needing only a number
 * (config, docs, the small functions) does not bundle zod.
 */

/** An event's serialized JSON, as the client sent it, may not exceed 32 KB (Segment's per-event limit). */
export const MAX_EVENT_BYTES = 32 * 1024;
/** API Gateway WebSocket frame limit: the live push cuts larger events to fit (flagged as truncated). */
export const WEBSOCKET_FRAME_BYTES = 32 * 1024;
/**
 * Room for what the server adds to an event (account, generated id, timestamp, receipt time, client IP,
 * user agent of at most 1,024 characters), even with every character escaped in JSON (6 bytes each).
 */
export const SERVER_FIELDS_MAX_BYTES = 8 * 1024;
/**
 * An event as stored may not exceed this. No event within MAX_EVENT_BYTES as sent can reach it (the server
 * adds at most SERVER_FIELDS_MAX_BYTES), so it is an invariant that stream consumers re-check on decode, not
 * a second limit for clients. Kinesis (1 MiB), OpenSearch and SQS (256 KB) hold it with room to spare.
 */
export const MAX_STORED_EVENT_BYTES = MAX_EVENT_BYTES + SERVER_FIELDS_MAX_BYTES;
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

/**
 * Nesting depth of `properties`: the object itself is level 1, each object or array inside adds one
 * (`{"a": {"b": [1]}}` is 3 levels). OpenSearch 2.19's `flat_object` parses recursively with no limit of
 * its own, and a document about 560 objects deep kills the node with a StackOverflowError; DynamoDB
 * allows 32 levels. 16 is far inside both (see docs/decisions.md for the measurements).
 */
export const MAX_PROPERTIES_DEPTH = 16;
/** Keys in `properties` in all, nested ones included: bounds the work of indexing one document. */
export const MAX_PROPERTIES_KEYS = 1000;
/** Elements of the arrays in `properties` in all, nested ones included (OpenSearch indexes each one). */
export const MAX_PROPERTIES_ARRAY_ITEMS = 1000;
/** Characters (UTF-16 code units) of one key in `properties`. */
export const MAX_PROPERTY_KEY_LENGTH = 256;
/**
 * Lucene refuses a term over 32,766 bytes, and `flat_object` indexes every leaf as the term
 * `properties.properties.<dotted path>=<value>` (measured), so a leaf's path and value together must stay
 * under this. The event size limits guarantee it: the JSON of an event spends at least 34 bytes beyond
 * any one leaf's path and value (braces, quotes, colons, `type`), and 32,768 - 34 < 32,743. A test pins it.
 */
export const MAX_PROPERTY_TERM_BYTES = 32_766 - 'properties.properties.='.length;
/** OpenSearch refuses a document `_id` (here `account_id:event_id`) over 512 bytes. */
export const MAX_DOCUMENT_ID_BYTES = 512;

/**
 * Magnitude of `value`. The rollups keep its sum per type and bucket as a double: with values up to
 * 1e100, no count of events can carry a sum past a double's 1.8e308 (it would take 1e208 of them),
 * where it would turn into Infinity, be stored as JSON `null` and restart from 0. Far beyond any amount
 * a client counts (wei, nanoseconds and micro-units included).
 */
export const MAX_VALUE_MAGNITUDE = 1e100;

/** Event ids: at least one character that is not whitespace, and no control character (Unicode Cc). */
export const EVENT_ID_PATTERN = /^(?=.*\S)[^\p{Cc}]*$/su;

/** Event types: lower-case letters, digits and `_ . : -`. */
export const EVENT_TYPE_PATTERN = /^[a-z0-9_.:-]+$/;

/**
 * Default bounds on a client-supplied timestamp, relative to the receipt time. The past bound is the
 * backfill horizon: an event up to 90 days old is accepted and counted in the rollup buckets of its own
 * time (ingest and the rollup writer read the same setting, `EVENT_MAX_PAST_SECONDS`).
 */
export const DEFAULT_MAX_PAST_MS = 90 * 24 * 3600 * 1000;
export const DEFAULT_MAX_FUTURE_MS = 3600 * 1000;
/**
 * The largest clock skew that can be configured: the stats API reads no window more than a day ahead of
 * now, and every day ahead an event may be stamped is a daily index that retention never deletes early.
 */
export const MAX_CLOCK_SKEW_MS = 24 * 3600 * 1000;
/** The longest backfill horizon that can be configured: the rollups keep hour and day buckets 400 days. */
export const MAX_BACKFILL_HORIZON_MS = 365 * 24 * 3600 * 1000;

/**
 * How far a record's `received_at` may be before it reached the stream: a redrive writes an event again
 * long after its receipt, but never beyond the rollups' 400 days of retention, past which the event could
 * be neither counted nor queried.
 */
export const MAX_RECEIPT_AGE_MS = 400 * 24 * 3600 * 1000;
/** How far ingest's clock (`received_at`) may run ahead of Kinesis's (a record's arrival time). */
export const RECEIPT_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface TimestampBounds {
  maxPastMs: number;
  maxFutureMs: number;
}
