/**
 * What the benchmark posts and what it measures: paced single events (POST-accepted -> frame-received
 * latency for every viewer), then a burst of batches (how fast frames fan out).
 */
import { randomUUID } from 'node:crypto';
import { epochNow, type Viewers } from './viewers.js';

export interface Target {
  name: string;
  ingestUrl: string;
  writeKey: string;
  viewers: Viewers;
}

export interface Posted {
  eventId: string;
  sentAt: number;
  acceptedAt: number;
}

export interface PhaseResult {
  events: number;
  /** Receipts expected: events x viewers. */
  expected: number;
  missing: number;
  /** POST answered 202 -> frame received, ms, over every (event, viewer). */
  latency: { p50: number; p99: number; max: number };
  /** Frames received by all viewers per second, from the first POST to the last frame. */
  framesPerSecond: number;
  /** (event, viewer) receipts per second over the same span. */
  deliveriesPerSecond: number;
  seconds: number;
}

function events(run: string, count: number) {
  return Array.from({ length: count }, (_, index) => ({
    event_id: `${run}-${randomUUID()}`,
    type: index % 4 === 0 ? 'login' : 'page_view',
    user_id: `user-${index % 50}`,
    path: `/page/${index % 20}`,
  }));
}

async function post(target: Target, batch: { event_id: string }[]): Promise<Posted[]> {
  const sentAt = epochNow();
  const response = await fetch(target.ingestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': target.writeKey },
    body: JSON.stringify({ events: batch }),
  });
  const acceptedAt = epochNow();
  await response.text();
  if (response.status !== 202) throw new Error(`${target.name}: POST answered ${response.status}`);
  return batch.map((event) => ({ eventId: event.event_id, sentAt, acceptedAt }));
}

/** Posts `count` single events, one every `intervalMs`, without waiting for answers between them. */
export async function pacedEvents(target: Target, run: string, count: number, intervalMs: number) {
  const posts: Promise<Posted[]>[] = [];
  for (const event of events(run, count)) {
    posts.push(post(target, [event]));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return (await Promise.all(posts)).flat();
}

/** Posts `batches` batches of `perBatch` events all at once. */
export async function burst(target: Target, run: string, batches: number, perBatch: number) {
  const all = events(run, batches * perBatch);
  const posts = Array.from({ length: batches }, (_, index) =>
    post(target, all.slice(index * perBatch, (index + 1) * perBatch)),
  );
  return (await Promise.all(posts)).flat();
}

/** Waits until every viewer has every posted event, or `timeoutMs` after the last POST was answered. */
export async function settle(
  viewers: Viewers,
  posted: Posted[],
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const done = () => posted.every((event) => (viewers.received.get(event.eventId)?.length ?? 0) >= count);
  while (!done() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  // Stragglers and duplicates have a moment to show.
  await new Promise((resolve) => setTimeout(resolve, 250));
}

export function measurePhase(viewers: Viewers, posted: Posted[], viewerCount: number): PhaseResult {
  const latencies: number[] = [];
  let missing = 0;
  let lastReceipt = 0;
  for (const event of posted) {
    const receipts = viewers.received.get(event.eventId) ?? [];
    missing += Math.max(0, viewerCount - receipts.length);
    for (const at of receipts) {
      latencies.push(at - event.acceptedAt);
      lastReceipt = Math.max(lastReceipt, at);
    }
  }
  latencies.sort((a, b) => a - b);
  const firstSent = Math.min(...posted.map((event) => event.sentAt));
  const frames = viewers.frameTimes.filter((at) => at >= firstSent && at <= lastReceipt).length;
  const seconds = Math.max(0.001, (lastReceipt - firstSent) / 1000);
  const quantile = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    events: posted.length,
    expected: posted.length * viewerCount,
    missing,
    latency: { p50: quantile(0.5), p99: quantile(0.99), max: latencies[latencies.length - 1] ?? NaN },
    framesPerSecond: frames / seconds,
    deliveriesPerSecond: latencies.length / seconds,
    seconds,
  };
}
