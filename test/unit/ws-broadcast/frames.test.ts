import { describe, expect, it } from 'vitest';
import {
  EVENT_ID_MAX_LENGTH,
  EVENT_TYPE_MAX_LENGTH,
  ID_MAX_LENGTH,
  PATH_MAX_LENGTH,
} from '../../../lambdas/shared/event-schema.js';
import { frameEvent, MAX_FRAME_BYTES, packFrames } from '../../../lambdas/ws-broadcast/frames.js';
import { storedEvent } from '../../helpers/factories.js';

const idsOf = (frames: string[]) =>
  frames.flatMap((frame) => JSON.parse(frame).events.map((event: { event_id: string }) => event.event_id));

describe('packFrames', () => {
  it('batches small events into one frame, in order', () => {
    // Prepare
    const events = Array.from({ length: 50 }, (_, index) =>
      frameEvent(storedEvent({ event_id: `e${index}` })),
    );

    // Act
    const frames = packFrames(events);

    // Assess
    expect(frames).toHaveLength(1);
    expect(JSON.parse(frames[0] as string).type).toBe('events');
    expect(idsOf(frames)).toEqual(events.map((framed) => framed.event.event_id));
  });

  it('keeps every frame within the byte limit, counting multi-byte characters as bytes', () => {
    // Prepare
    const events = Array.from({ length: 20 }, (_, index) =>
      frameEvent(storedEvent({ event_id: `e${index}`, properties: { text: 'é'.repeat(400) } }), 4096),
    );

    // Act
    const frames = packFrames(events, 4096);

    // Assess
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(4096);
    expect(idsOf(frames)).toEqual(events.map((framed) => framed.event.event_id));
  });

  it('refuses a frame limit too small for a truncated event', () => {
    expect(() => packFrames([], 1024)).toThrow(/at least 4096 bytes/);
  });
});

describe('frameEvent', () => {
  it('keeps an event that fits whole, unflagged', () => {
    const event = storedEvent({ properties: { plan: 'pro' } });

    const framed = frameEvent(event);

    expect(JSON.parse(framed.json)).toEqual(event);
    expect(framed.truncated).toBe(false);
  });

  it('cuts an event too large for a frame to the fields a feed shows, flagged with its whole size', () => {
    // Prepare
    const event = storedEvent({
      user_id: 'ann',
      path: '/docs',
      value: 3,
      user_agent: 'Mozilla/5.0',
      properties: { text: 'x'.repeat(MAX_FRAME_BYTES) },
    });

    // Act
    const framed = frameEvent(event);

    // Assess
    const pushed = JSON.parse(framed.json);
    expect(framed.truncated).toBe(true);
    expect(pushed).toEqual({
      event_id: event.event_id,
      account_id: event.account_id,
      type: event.type,
      timestamp: event.timestamp,
      received_at: event.received_at,
      user_id: 'ann',
      path: '/docs',
      value: 3,
      truncated: true,
      size_bytes: Buffer.byteLength(JSON.stringify(event)),
    });
    expect(Buffer.byteLength(packFrames([framed])[0] as string)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });

  it('fits the largest event the schema allows, every string at its limit and escaped, into one frame', () => {
    // Prepare: control characters take 6 bytes each in JSON (\u0001).
    const worst = (length: number) => '\u0001'.repeat(length);
    const event = storedEvent({
      event_id: worst(EVENT_ID_MAX_LENGTH),
      account_id: worst(128),
      type: 'a'.repeat(EVENT_TYPE_MAX_LENGTH),
      user_id: worst(ID_MAX_LENGTH),
      anonymous_id: worst(ID_MAX_LENGTH),
      session_id: worst(ID_MAX_LENGTH),
      path: worst(PATH_MAX_LENGTH),
      properties: { text: worst(5000) },
    });

    // Act
    const framed = frameEvent(event);

    // Assess
    expect(framed.truncated).toBe(true);
    expect(JSON.parse(framed.json).path).toBe(event.path);
    expect(Buffer.byteLength(packFrames([framed])[0] as string)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });
});
