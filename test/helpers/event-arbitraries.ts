/**
 * fast-check arbitraries of ingest request bodies: valid events (properties nested up to the limit,
 * Unicode from every plane, sizes up to near the limit) mixed with events that break exactly one
 * admission rule, and bodies that are refused whole (invalid UTF-8, not JSON, not an object).
 *
 * Each generated event says what admission must do with it. Events carry no `event_id`: the poster
 * gives each a fresh one when it sends it, so a shrunk or repeated run never collides with another.
 */
import fc from 'fast-check';
import {
  MAX_EVENT_BYTES,
  MAX_PROPERTIES_ARRAY_ITEMS,
  MAX_PROPERTIES_DEPTH,
  MAX_PROPERTIES_KEYS,
  MAX_PROPERTY_KEY_LENGTH,
  MAX_VALUE_MAGNITUDE,
} from '../../lambdas/shared/event-limits.js';
import { nestedArraysJson } from './hostile-events.js';

/** What admission must do with an event: accept it, or reject it (`tooLarge`: as a size limit, 413). */
export type Verdict = 'accept' | 'reject' | 'tooLarge';

export interface GeneratedEvent {
  verdict: Verdict;
  /** The rule it breaks, or `valid`: shows in a failure report. */
  rule: string;
  event: unknown;
  /** Appended to the fresh `event_id` (a lone surrogate, for one rule). */
  idSuffix?: string;
  /** Replaces `properties.deep` with arrays nested this deep, in the JSON text. */
  deepArrays?: number;
}

export type GeneratedBody =
  | { kind: 'events'; account: number; events: GeneratedEvent[] }
  | { kind: 'refused'; account: number; rule: string; bytes: Buffer; contentType: string };

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

const key = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter((text) => text !== '__proto__');
const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const leaf = fc.oneof(
  text,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

/** Property values nested at most `levels` containers deep. */
function nestedValue(levels: number): fc.Arbitrary<unknown> {
  if (levels <= 0) return leaf;
  const inner = nestedValue(levels - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(key, inner, { maxKeys: 3 }) },
  );
}

/**
 * `properties` within every limit: a few keys, some nested, and sometimes a path exactly at the depth
 * limit (`properties` is level 1, then 15 objects).
 */
const properties = fc
  .tuple(
    fc.dictionary(key, nestedValue(4), { maxKeys: 5 }),
    fc.option(fc.array(key, { minLength: MAX_PROPERTIES_DEPTH - 1, maxLength: MAX_PROPERTIES_DEPTH - 1 })),
  )
  .map(([base, path]) => (path ? { ...base, atLimit: nestObjects(path, 'leaf') } : base));

const timestamp = fc
  .integer({ min: -6 * DAY_MS, max: 50 * 60 * 1000 })
  .map((offset) => new Date(Date.now() + offset).toISOString());

const validEvent = fc.record(
  {
    type: fc.constantFrom('page_view', 'login', 'signup', 'purchase', 'app.open', 'a:b-c_d'),
    user_id: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }),
    timestamp,
    value: fc.double({ noNaN: true, min: -MAX_VALUE_MAGNITUDE, max: MAX_VALUE_MAGNITUDE }),
    path: fc.constantFrom('/', '/pricing', '/docs/ünïcödé', '/😀'),
    properties,
  },
  { requiredKeys: ['type'] },
);

const accepted = (event: unknown, rule = 'valid'): GeneratedEvent => ({ verdict: 'accept', rule, event });
const rejected = (rule: string, event: unknown, extra: Partial<GeneratedEvent> = {}): GeneratedEvent => ({
  verdict: 'reject',
  rule,
  event,
  ...extra,
});

/** A valid event with `properties` replaced. */
const withProperties = (arbitrary: fc.Arbitrary<unknown>) =>
  fc.tuple(validEvent, arbitrary).map(([event, props]) => ({ ...event, properties: props }));

const invalidEvents: fc.Arbitrary<GeneratedEvent>[] = [
  fc
    .tuple(validEvent, fc.integer({ min: MAX_PROPERTIES_DEPTH, max: MAX_PROPERTIES_DEPTH + 8 }))
    .map(([event, depth]) =>
      rejected('depth over the limit', {
        ...event,
        properties: { a: nestObjects(new Array(depth).fill('k'), 1) },
      }),
    ),
  fc
    .tuple(validEvent, fc.integer({ min: 1_000, max: 6_000 }))
    .map(([event, depth]) =>
      rejected(
        'thousands of levels',
        { ...event, properties: { deep: 'placeholder' } },
        { deepArrays: depth },
      ),
    ),
  validEvent.map((event) => rejected('lone surrogate in user_id', { ...event, user_id: 'user-\ud800' })),
  validEvent.map((event) => rejected('lone surrogate in event_id', event, { idSuffix: '\udbff' })),
  withProperties(fc.constant({ 'key-\udc00': 1 })).map((event) => rejected('lone surrogate in a key', event)),
  withProperties(fc.constant({ list: ['ok', 'bad\ud83d'] })).map((event) =>
    rejected('lone surrogate in a value', event),
  ),
  withProperties(
    fc
      .integer({ min: MAX_PROPERTY_KEY_LENGTH + 1, max: 3_000 })
      .map((length) => ({ ['k'.repeat(length)]: 1 })),
  ).map((event) => rejected('key too long', event)),
  withProperties(
    fc
      .integer({ min: MAX_PROPERTIES_KEYS + 1, max: MAX_PROPERTIES_KEYS + 400 })
      .map((count) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index]))),
  ).map((event) => rejected('too many keys', event)),
  withProperties(
    fc
      .integer({ min: MAX_PROPERTIES_ARRAY_ITEMS + 1, max: 3_000 })
      .map((count) => ({ list: new Array(count).fill(0) })),
  ).map((event) => rejected('too many array elements', event)),
  withProperties(fc.constant({ '': 1 })).map((event) => rejected('empty key', event)),
  fc
    .tuple(validEvent, fc.integer({ min: MAX_EVENT_BYTES + 1, max: MAX_EVENT_BYTES + 8_000 }))
    .map(([event, size]) => ({
      verdict: 'tooLarge',
      rule: 'over 32 KB',
      event: { type: event.type, properties: { pad: 'x'.repeat(size) } },
    })),
  fc.constantFrom(null, 42, 'page_view', [{ type: 'x' }]).map((event) => rejected('not an object', event)),
  validEvent.map((event) => rejected('unknown field', { ...event, colour: 'red' })),
  validEvent.map((event) => rejected('bad type', { ...event, type: 'Page View' })),
  fc
    .tuple(
      validEvent,
      fc.double({ min: MAX_VALUE_MAGNITUDE, max: Number.MAX_VALUE, minExcluded: true }),
      fc.boolean(),
    )
    .map(([event, value, negative]) =>
      rejected('value out of range', { ...event, value: negative ? -value : value }),
    ),
  validEvent.map((event) =>
    rejected('timestamp out of bounds', { ...event, timestamp: '2001-01-01T00:00:00Z' }),
  ),
];

/** A valid event near the 32 KB limit as sent. */
const largeValidEvent = fc
  .tuple(validEvent, fc.integer({ min: 10_000, max: 32_600 }))
  .map(([event, size]) => accepted({ type: event.type, properties: { pad: 'p'.repeat(size) } }, 'large'));

export const generatedEvent: fc.Arbitrary<GeneratedEvent> = fc.oneof(
  { weight: 12, arbitrary: validEvent.map((event) => accepted(event)) },
  { weight: 1, arbitrary: largeValidEvent },
  { weight: 8, arbitrary: fc.oneof(...invalidEvents) },
);

const refusedBody = fc.oneof(
  validEvent.map((event) => ({
    rule: 'invalid UTF-8',
    contentType: 'application/json',
    bytes: Buffer.concat([
      Buffer.from(JSON.stringify(event).slice(0, -1)),
      Buffer.from(',"x":"\xff\xfe"}', 'latin1'),
    ]),
  })),
  fc
    .constantFrom('[]', '42', 'null', '{"events":{}}', '{"events":[]}', '{"type":', nestedArraysJson(50_000))
    .map((text) => ({
      rule: 'not an event body',
      contentType: 'application/json',
      bytes: Buffer.from(text),
    })),
);

/** A request body for one of `accounts` accounts. */
export function generatedBody(accounts: number): fc.Arbitrary<GeneratedBody> {
  const account = fc.integer({ min: 0, max: accounts - 1 });
  return fc.oneof(
    {
      weight: 20,
      arbitrary: fc.record({
        kind: fc.constant('events' as const),
        account,
        events: fc.array(generatedEvent, { minLength: 1, maxLength: 10 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(account, refusedBody)
        .map(([index, body]) => ({ kind: 'refused' as const, account: index, ...body })),
    },
  );
}

/** The JSON text of an event with its `event_id` (and its deep arrays, which JSON.stringify cannot write). */
export function eventText(generated: GeneratedEvent, eventId: string): string {
  const { event } = generated;
  const withId =
    typeof event === 'object' && event !== null && !Array.isArray(event)
      ? { event_id: `${eventId}${generated.idSuffix ?? ''}`, ...event }
      : event;
  const json = JSON.stringify(withId);
  if (generated.deepArrays === undefined) return json;
  return json.replace('"placeholder"', nestedArraysJson(generated.deepArrays));
}

function nestObjects(path: string[], leafValue: unknown): unknown {
  let value = leafValue;
  for (const segment of [...path].reverse()) value = { [segment]: value };
  return value;
}
