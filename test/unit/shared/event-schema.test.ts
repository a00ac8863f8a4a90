import { describe, expect, it } from 'vitest';
import {
  enrichEvent,
  MAX_EVENT_BYTES,
  storedEventSchema,
  validateIncomingEvent,
} from '../../../lambdas/shared/event-schema.js';

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

  it('rejects an event over 32 KB serialized, naming the limit', () => {
    // Prepare
    const event = { type: 'page_view', properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } };

    // Act
    const result = validateIncomingEvent(event, receivedAt);

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.message).toMatch(/over the 32 KB limit \(32768 bytes\)/);
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
      errors: [{ path: 'timestamp', message: 'timestamp is more than 1 day(s) in the past' }],
    });
    expect(future).toEqual({
      ok: false,
      errors: [{ path: 'timestamp', message: 'timestamp is more than 1 hour(s) in the future' }],
    });
    expect(fine.ok).toBe(true);
  });

  it('rejects a non-finite value', () => {
    // Act
    const result = validateIncomingEvent({ type: 'x', value: Number.POSITIVE_INFINITY }, receivedAt);

    // Assess
    expect(!result.ok && result.errors[0]?.path).toBe('value');
  });
});

describe('enrichEvent', () => {
  it('sets account, generated id, normalized timestamp and receipt facts', () => {
    // Act
    const stored = enrichEvent(
      { type: 'login', timestamp: '2026-01-15T11:00:00+01:00' },
      {
        accountId: 'acct-1',
        receivedAt,
        clientIp: '203.0.113.7',
        userAgent: 'ua',
        newEventId: () => 'generated',
      },
    );

    // Assess
    expect(stored).toEqual({
      type: 'login',
      account_id: 'acct-1',
      event_id: 'generated',
      timestamp: '2026-01-15T10:00:00.000Z',
      received_at: '2026-01-15T10:30:00.000Z',
      client_ip: '203.0.113.7',
      user_agent: 'ua',
    });
    expect(storedEventSchema.safeParse(stored).success).toBe(true);
  });
});
