/**
 * The load generator behind `pipeline load` and the chaos test: posts `events` events from several
 * accounts at a bounded rate (requests scheduled at `rate` events per second, at most `concurrency` in
 * flight), as a well-behaved client would: every event has a client-chosen `event_id`, so a request
 * answered 429, 503 or not at all is sent again with the same ids (the pipeline dedupes them), and a 503
 * resends only the events it names. Every event ends with one outcome, handed to `onEvent`:
 * accepted (a 2xx named it), rejected (a 4xx named it, with why) or failed (never acknowledged).
 */
import { randomBytes } from 'node:crypto';
import { acknowledgesTheRest, post, rejectionsOf, retryableIndexes, retryDelayMs } from './ingest-answer.js';

export interface LoadAccount {
  accountId: string;
  writeKey: string;
}

/** One event of the run, as `reconcile` reads it back (one JSON line each). */
export interface SentEvent {
  account_id: string;
  event_id: string;
  timestamp: string;
  status: 'accepted' | 'rejected' | 'failed';
  tag?: string;
  /** Epoch ms the request that settled it was sent, and answered. */
  sent_at: number;
  answered_at: number;
  http?: number;
  reason?: string;
}

export type EventFactory = (account: LoadAccount, sequence: number, now: number) => Record<string, unknown>;

export interface LoadOptions {
  ingestUrl: string;
  accounts: LoadAccount[];
  events: number;
  /** Events per second, across all accounts. */
  rate: number;
  batchSize: number;
  concurrency: number;
  tag?: string;
  makeEvent?: EventFactory;
  /** Sends of one request at most (first included), not counting those answered 429 (`throttledForMs`). */
  attempts?: number;
  /**
   * How long a request answered 429 keeps being resent (each time after its `Retry-After`) before its
   * events are failed: a 429 is the pipeline saying "later", and a load faster than its keys' limits
   * is answered with many, each request waiting its turn behind the others.
   */
  throttledForMs?: number;
  onEvent?: (event: SentEvent) => void;
  onProgress?: (sent: number, summary: LoadSummary) => void;
  /** Stops scheduling new requests once aborted; requests in flight settle, without resends. */
  signal?: AbortSignal;
}

export interface LoadSummary {
  events: number;
  accepted: number;
  rejected: number;
  failed: number;
  requests: number;
  /** Answers by HTTP status (`network` for none). */
  statuses: Record<string, number>;
  seconds: number;
  acceptedPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

const DEFAULT_ATTEMPTS = 5;
const DEFAULT_THROTTLED_FOR_MS = 120_000;

/** Page views and logins of a few users and paths, stamped now. */
export function defaultEvent(runId: string): EventFactory {
  return (account, sequence, now) => ({
    event_id: `${runId}-${sequence}`,
    account_id: account.accountId,
    type: sequence % 4 === 0 ? 'login' : 'page_view',
    timestamp: new Date(now).toISOString(),
    user_id: `user-${sequence % 50}`,
    path: `/page/${sequence % 10}`,
    properties: { run: runId, sequence },
  });
}

/** Runs the load; resolves once every event has an outcome. */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const makeEvent = options.makeEvent ?? defaultEvent(randomBytes(4).toString('hex'));
  const summary: LoadSummary = {
    events: 0,
    accepted: 0,
    rejected: 0,
    failed: 0,
    requests: 0,
    statuses: {},
    seconds: 0,
    acceptedPerSecond: 0,
    latencyMs: { p50: 0, p99: 0, max: 0 },
  };
  const latencies: number[] = [];
  const started = Date.now();
  const batches = Math.ceil(options.events / options.batchSize);
  const inFlight = new Set<Promise<void>>();
  const record = (event: SentEvent) => {
    summary.events += 1;
    summary[event.status] += 1;
    options.onEvent?.(event);
  };

  for (let batch = 0; batch < batches && !options.signal?.aborted; batch += 1) {
    const due = started + ((batch * options.batchSize) / options.rate) * 1000;
    if (due > Date.now()) await sleep(due - Date.now(), options.signal);
    if (options.signal?.aborted) break;
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    const account = options.accounts[batch % options.accounts.length] as LoadAccount;
    const count = Math.min(options.batchSize, options.events - batch * options.batchSize);
    const now = Date.now();
    const events = Array.from({ length: count }, (_, index) =>
      makeEvent(account, batch * options.batchSize + index, now),
    );
    const request = send(options, account, events, summary, latencies, record).finally(() => {
      inFlight.delete(request);
      options.onProgress?.(summary.events, summary);
    });
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  summary.seconds = (Date.now() - started) / 1000;
  summary.acceptedPerSecond = summary.accepted / Math.max(summary.seconds, 0.001);
  latencies.sort((a, b) => a - b);
  summary.latencyMs = {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? 0,
  };
  return summary;
}

/** Sends one request's events until each has an outcome. */
async function send(
  options: LoadOptions,
  account: LoadAccount,
  events: Record<string, unknown>[],
  summary: LoadSummary,
  latencies: number[],
  record: (event: SentEvent) => void,
): Promise<void> {
  let pending = events;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const throttledForMs = options.throttledForMs ?? DEFAULT_THROTTLED_FOR_MS;
  const firstSentAt = Date.now();
  // Sends answered otherwise than by a 429 within `throttledForMs`: what `attempts` bounds.
  let attempt = 0;
  // An event's outcome, stamped with the last send and its answer.
  let outcome: (event: Record<string, unknown>, settled: SentEvent['status'], reason?: string) => void =
    () => {};
  for (let sends = 1; pending.length > 0; sends += 1) {
    if (sends > 1 && options.signal?.aborted) {
      // Interrupted: nothing is sent again, and what the last answer left unacknowledged is failed.
      const reason = `not acknowledged after ${sends - 1} send(s); interrupted before the next`;
      for (const event of pending) outcome(event, 'failed', reason);
      return;
    }
    const sentAt = Date.now();
    const answer = await post(options.ingestUrl, account.writeKey, pending);
    const answeredAt = Date.now();
    const throttled = answer.status === 429 && answeredAt - firstSentAt < throttledForMs;
    if (!throttled) attempt += 1;
    summary.requests += 1;
    latencies.push(answeredAt - sentAt);
    const status = answer.status === undefined ? 'network' : String(answer.status);
    summary.statuses[status] = (summary.statuses[status] ?? 0) + 1;
    outcome = (event, settled, reason) =>
      record({
        account_id: account.accountId,
        event_id: String(event.event_id),
        timestamp: String(event.timestamp),
        status: settled,
        ...(options.tag ? { tag: options.tag } : {}),
        sent_at: sentAt,
        answered_at: answeredAt,
        ...(answer.status !== undefined ? { http: answer.status } : {}),
        ...(reason ? { reason } : {}),
      });
    const rejected = rejectionsOf(answer.body);
    const retry = retryableIndexes(answer, pending.length);
    if (retry.size > 0 && (throttled || attempt < attempts)) {
      pending.forEach((event, index) => {
        if (retry.has(index)) return;
        const reason = rejected.get(index);
        if (reason !== undefined) outcome(event, 'rejected', reason);
        else outcome(event, 'accepted');
      });
      pending = pending.filter((_, index) => retry.has(index));
      await sleep(retryDelayMs(answer, Math.max(1, attempt)), options.signal);
      continue;
    }
    pending.forEach((event, index) => {
      const reason = rejected.get(index);
      if (retry.has(index))
        outcome(
          event,
          'failed',
          `not acknowledged after ${sends} send(s) in ${((answeredAt - firstSentAt) / 1000).toFixed(1)} s: ${answer.reason}`,
        );
      else if (reason !== undefined) outcome(event, 'rejected', reason);
      else if (acknowledgesTheRest(answer)) outcome(event, 'accepted');
      else outcome(event, 'rejected', `${answer.status}: ${answer.reason}`);
    });
    pending = [];
  }
}

function percentile(sorted: number[], share: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] as number;
}

/** Waits `ms`, or less when `signal` is aborted meanwhile (never rejects). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
