import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../../lambdas/ws-broadcast/fan-out.js';
import {
  behindMs,
  DROP_NOTICE_INTERVAL_MS,
  DROPPED_FRAME,
  HEAVY_ACCOUNT_POSTS,
  LoadShedder,
  SHED_AFTER_MS,
} from '../../../lambdas/ws-broadcast/load-shedding.js';

const NOW = Date.parse('2026-01-15T10:00:00Z');

/** An account's deliveries: `connections` connections of `framesEach` frames. */
function account(accountId: string, connections: number, framesEach: number): Delivery[] {
  return Array.from({ length: connections }, (_, index) => ({
    connectionId: `${accountId}-c${index}`,
    accountId,
    connecting: false,
    frames: Array.from({ length: framesEach }, (_, frame) => `frame ${frame}`),
  }));
}

const posts = (deliveries: Delivery[]) => deliveries.reduce((sum, d) => sum + d.frames.length, 0);

describe('shedding heavy accounts from late batches of live push', () => {
  it('posts every frame of a batch that is not late, however heavy its accounts', () => {
    // Prepare
    const heavy = account('heavy', 150, 3);

    // Act
    const result = new LoadShedder().shed([heavy], SHED_AFTER_MS, NOW);

    // Assess
    expect(result.shedFrames).toBe(0);
    expect(result.deliveries).toEqual([heavy]);
  });

  it("drops a heavy account's frames from a late batch, telling each connection once, and keeps a light one's", () => {
    // Prepare: a batch 6 s late with a heavy account and a light one
    const heavy = account('heavy', 150, 3);
    const light = account('light', 2, 1);

    // Act
    const result = new LoadShedder().shed([heavy, light], SHED_AFTER_MS + 1_000, NOW);

    // Assess
    expect(result.shedFrames).toBe(450);
    expect(result.shedAccounts).toEqual(['heavy']);
    const [notices, kept] = result.deliveries as [Delivery[], Delivery[]];
    expect(notices).toHaveLength(150);
    expect(
      notices.every((delivery) => delivery.frames.length === 1 && delivery.frames[0] === DROPPED_FRAME),
    ).toBe(true);
    expect(kept).toEqual(light);
    expect(JSON.parse(DROPPED_FRAME)).toMatchObject({ type: 'dropped' });
  });

  it('tells a shed account at most once per notice interval, and posts nothing of it between', () => {
    // Prepare
    const shedder = new LoadShedder();
    const late = SHED_AFTER_MS + 1;
    const batch = () => [account('heavy', 60, 1), account('light', 1, 1)];
    shedder.shed(batch(), late, NOW);

    // Act
    const soon = shedder.shed(batch(), late, NOW + DROP_NOTICE_INTERVAL_MS - 1);
    const later = shedder.shed(batch(), late, NOW + DROP_NOTICE_INTERVAL_MS);

    // Assess
    expect(soon.deliveries.map(posts)).toEqual([1]);
    expect(soon.shedFrames).toBe(60);
    expect(shedder.stillShedding('heavy', late, NOW + DROP_NOTICE_INTERVAL_MS - 1)).toBe(true);
    expect(shedder.stillShedding('heavy', SHED_AFTER_MS, NOW + 1)).toBe(false);
    expect(shedder.stillShedding('light', late, NOW + 1)).toBe(false);
    expect(later.deliveries.map(posts)).toEqual([60, 1]);
    expect(later.deliveries[0]?.[0]?.frames).toEqual([DROPPED_FRAME]);
  });

  it('goes on shedding a heavy account in batches without a light one, while a light one was pushed to lately', () => {
    // Prepare: a light account was pushed to a moment ago
    const shedder = new LoadShedder();
    shedder.shed([account('light', 1, 1)], 0, NOW);

    // Act: a late batch of the heavy account alone
    const result = shedder.shed([account('heavy', 60, 1)], SHED_AFTER_MS + 1, NOW + 1_000);

    // Assess
    expect(result.shedAccounts).toEqual(['heavy']);
  });

  it('keeps a heavy account whole when no light account waits in the batch: it delays only itself', () => {
    // Prepare
    const heavy = account('heavy', 150, 3);

    // Act
    const result = new LoadShedder().shed([heavy], SHED_AFTER_MS * 10, NOW);

    // Assess
    expect(result.shedFrames).toBe(0);
    expect(result.deliveries).toEqual([heavy]);
  });

  it('keeps an account at the heavy bound whole, even late', () => {
    // Prepare: exactly HEAVY_ACCOUNT_POSTS posts, beside a light account
    const atBound = account('edge', HEAVY_ACCOUNT_POSTS, 1);
    const light = account('light', 1, 1);

    // Act
    const result = new LoadShedder().shed([atBound, light], SHED_AFTER_MS * 10, NOW);

    // Assess
    expect(result.deliveries).toEqual([atBound, light]);
  });

  it("measures a batch's lateness by its oldest event's receipt", () => {
    expect(behindMs(['2026-01-15T09:59:58.000Z', '2026-01-15T09:59:50.000Z'], NOW)).toBe(10_000);
    expect(behindMs([], NOW)).toBe(0);
  });
});
