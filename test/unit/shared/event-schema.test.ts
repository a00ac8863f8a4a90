import { describe, expect, it } from 'vitest';
import {
  admitStoredEvent,
  MAX_EVENT_BYTES,
  MAX_PROPERTY_KEY_LENGTH,
  MAX_PROPERTY_TERM_BYTES,
  MAX_STORED_EVENT_BYTES,
} from '../../../lambdas/shared/event-schema.js';
import { validateIncomingEvent } from '../../../lambdas/shared/event-validation.js';
import { storedEvent } from '../../helpers/factories.js';
import { eventOfSize, jsonBytes, nestedArrays } from '../../helpers/hostile-events.js';
import { storeForTest } from '../../helpers/stored-records.js';

const receivedAt = new Date('2026-01-15T10:30:00.000Z');

describe('validateIncomingEvent', () => {
  it('accepts a minimal event with only a type', () => {
    // Act
    const result = validateIncomingEvent({ type: 'page_view' }, receivedAt);

    // Assess
    expect(result).toEqual({ ok: true, event: { type: 'page_view' } });
  });

  it('names the field and the limit when type is too long or has forbidden characters', () => {
    // Act
    const tooLong = validateIncomingEvent({ type: 'a'.repeat(65) }, receivedAt);
    const badChars = validateIncomingEvent({ type: 'Page View' }, receivedAt);

    // Assess
    expect(tooLong).toEqual({
      ok: false,
      errors: [{ path: 'type', message: 'type must be at most 64 characters' }],
    });
    expect(badChars).toEqual({
      ok: false,
      errors: [{ path: 'type', message: 'type may only contain a-z, 0-9 and _ . : -' }],
    });
  });

  it('requires type', () => {
    // Act
    const result = validateIncomingEvent({ user_id: 'u1' }, receivedAt);

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((error) => error.path)).toEqual(['type']);
  });

  it('limits event_id to 128 characters', () => {
    // Act
    const result = validateIncomingEvent({ type: 'login', event_id: 'x'.repeat(129) }, receivedAt);

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [{ path: 'event_id', message: 'event_id must be at most 128 characters' }],
    });
  });

  it.each([
    ['only spaces', '   '],
    ['only a tab and a newline', '\t\n'],
    ['only Unicode whitespace', '\u00a0\u3000\u2028'],
    ['a NUL', 'order\u0000-1'],
    ['a newline', 'order-1\n'],
    ['an escape character', '\u001b[31morder'],
    ['a C1 control character', 'order\u0085-1'],
    ['DEL', 'order\u007f'],
  ])('refuses an event_id of %s, naming the field and the rule', (_case, eventId) => {
    // Act
    const result = validateIncomingEvent({ type: 'login', event_id: eventId }, receivedAt);

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          path: 'event_id',
          message:
            'event_id must hold a visible character (not only whitespace) and no control characters (U+0000 to U+001F, U+007F to U+009F)',
        },
      ],
    });
  });

  it.each([
    ['an id with inner spaces', 'order 1 of 3'],
    ['a non-Latin id', '注文-１'],
    ['an id after a line separator', '\u2028x'],
    ['an emoji', '🧾'],
    ['128 characters', 'x'.repeat(128)],
  ])('accepts %s as an event_id', (_case, eventId) => {
    // Act
    const result = validateIncomingEvent({ type: 'login', event_id: eventId }, receivedAt);

    // Assess
    expect(result).toEqual({ ok: true, event: { type: 'login', event_id: eventId } });
  });

  it('rejects an event over 32 KB serialized, naming the limit', () => {
    // Prepare
    const event = { type: 'page_view', properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } };

    // Act
    const result = storeForTest(event);

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.message).toMatch(/over the 32 KB limit \(32768 bytes\)/);
  });

  it('accepts an event of exactly 32 KB serialized and refuses 32 KB + 1 byte as too large', () => {
    // Prepare
    const exact = eventOfSize(MAX_EVENT_BYTES, { type: 'page_view' });
    const overByOne = eventOfSize(MAX_EVENT_BYTES + 1, { type: 'page_view' });

    // Act
    const accepted = storeForTest(exact);
    const refused = storeForTest(overByOne);

    // Assess
    expect(accepted.ok).toBe(true);
    expect(refused).toEqual({
      ok: false,
      tooLarge: true,
      errors: [{ path: '', message: 'event is 32769 bytes serialized, over the 32 KB limit (32768 bytes)' }],
    });
  });

  it.each([
    ['a one-letter key', ['k']],
    ['a key of the longest length', ['k'.repeat(MAX_PROPERTY_KEY_LENGTH)]],
    ['a path 15 keys deep', Array.from({ length: 15 }, () => 'k'.repeat(MAX_PROPERTY_KEY_LENGTH))],
  ])(
    "keeps the indexed term of a leaf under %s within Lucene's limit at the largest event size",
    (_, path) => {
      // Prepare: the longest value that still fits the event limit at that path.
      const at = (length: number) => {
        let properties: unknown = 'v'.repeat(length);
        for (const key of [...path].reverse()) properties = { [key]: properties };
        return { type: 'x', properties };
      };
      const overhead = jsonBytes(at(0));
      const largest = at(MAX_EVENT_BYTES - overhead);

      // Act
      const result = storeForTest(largest);

      // Assess: path bytes (dotted) plus value bytes, the term flat_object writes.
      expect(result.ok).toBe(true);
      const termBytes = path.join('.').length + (MAX_EVENT_BYTES - overhead);
      expect(termBytes).toBeLessThanOrEqual(MAX_PROPERTY_TERM_BYTES);
    },
  );

  it('checks structure before anything recursive: 100,000 levels are refused, not a stack overflow', () => {
    // Act
    const result = validateIncomingEvent({ type: 'x', properties: { a: nestedArrays(100_000) } }, receivedAt);

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.message).toMatch(/nested more than 16 levels/);
  });

  it('rejects unknown top-level fields and points to properties', () => {
    // Act
    const result = validateIncomingEvent({ type: 'page_view', color: 'red' }, receivedAt);

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '', message: 'unknown field(s) color: put custom data under properties' }],
    });
  });

  it('rejects a non-ISO timestamp and non-object properties', () => {
    // Act
    const result = validateIncomingEvent({ type: 'x', timestamp: 'yesterday', properties: [1] }, receivedAt);

    // Assess
    expect(!result.ok && result.errors.map((error) => error.path)).toEqual(['timestamp', 'properties']);
  });

  it('enforces the past and future bounds of timestamp', () => {
    // Prepare
    const bounds = { maxPastMs: 24 * 3600 * 1000, maxFutureMs: 3600 * 1000 };

    // Act
    const old = validateIncomingEvent({ type: 'x', timestamp: '2026-01-13T10:30:00Z' }, receivedAt, bounds);
    const future = validateIncomingEvent(
      { type: 'x', timestamp: '2026-01-15T12:00:00Z' },
      receivedAt,
      bounds,
    );
    const fine = validateIncomingEvent(
      { type: 'x', timestamp: '2026-01-15T11:00:00+01:00' },
      receivedAt,
      bounds,
    );

    // Assess
    expect(old).toEqual({
      ok: false,
      errors: [
        {
          path: 'timestamp',
          message:
            'timestamp is more than 1 day(s) in the past: it must be from 2026-01-14T10:30:00.000Z to 2026-01-15T11:30:00.000Z (the server received the event at 2026-01-15T10:30:00.000Z)',
        },
      ],
    });
    expect(future).toEqual({
      ok: false,
      errors: [
        {
          path: 'timestamp',
          message:
            'timestamp is more than 1 hour(s) in the future: it must be from 2026-01-14T10:30:00.000Z to 2026-01-15T11:30:00.000Z (the server received the event at 2026-01-15T10:30:00.000Z)',
        },
      ],
    });
    expect(fine.ok).toBe(true);
  });

  it('rejects a non-finite value', () => {
    // Act
    const result = validateIncomingEvent({ type: 'x', value: Number.POSITIVE_INFINITY }, receivedAt);

    // Assess
    expect(!result.ok && result.errors[0]?.path).toBe('value');
  });

  it('accepts a value of magnitude 1e100 and refuses a larger one, naming the field and the limit', () => {
    // Act
    const atLimit = [1e100, -1e100].map((value) => validateIncomingEvent({ type: 'x', value }, receivedAt));
    const over = [2e100, -1e101, Number.MAX_VALUE].map((value) =>
      validateIncomingEvent({ type: 'x', value }, receivedAt),
    );

    // Assess
    expect(atLimit.map((result) => result.ok)).toEqual([true, true]);
    for (const result of over) {
      expect(result).toEqual({
        ok: false,
        errors: [{ path: 'value', message: 'value must be between -1e+100 and 1e+100' }],
      });
    }
  });
});

describe('admitStoredEvent', () => {
  it('accepts a stored event at the stored-size limit exactly, and refuses one byte more', () => {
    // Prepare
    const exact = eventOfSize(MAX_STORED_EVENT_BYTES, storedEvent()) as ReturnType<typeof storedEvent>;
    const overByOne = eventOfSize(MAX_STORED_EVENT_BYTES + 1, storedEvent()) as ReturnType<
      typeof storedEvent
    >;

    // Act
    const accepted = admitStoredEvent(exact);
    const refused = admitStoredEvent(overByOne);

    // Assess
    expect(accepted).toEqual({ ok: true, json: JSON.stringify(exact), bytes: MAX_STORED_EVENT_BYTES });
    expect(refused).toEqual({
      ok: false,
      tooLarge: true,
      errors: [
        {
          path: '',
          message: `event is ${MAX_STORED_EVENT_BYTES + 1} bytes once stored with the fields the server adds, over the ${MAX_STORED_EVENT_BYTES}-byte limit of a stored event`,
        },
      ],
    });
    expect(jsonBytes(exact)).toBe(MAX_STORED_EVENT_BYTES);
  });

  it('refuses an event whose document id, account_id:event_id, is over 512 bytes of UTF-8', () => {
    // Prepare: 128 characters, but 3 bytes each.
    const event = storedEvent({ account_id: 'a'.repeat(128), event_id: '\u20ac'.repeat(128) });

    // Act
    const result = admitStoredEvent(event);

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          path: 'event_id',
          message: 'account_id:event_id is 513 bytes (UTF-8), over the 512-byte limit of a document id',
        },
      ],
    });
  });
});
