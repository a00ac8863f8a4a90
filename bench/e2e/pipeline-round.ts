/**
 * One round of each subject of bench:e2e, the same events for both: through the pipeline (4 clients
 * posting 500-event batches to the local REST gateway, until every event is searchable) and straight
 * into OpenSearch (4 clients sending `_bulk` of the same 500 events, until searchable).
 */
import { percentile } from '../shared/rounds.js';

export interface RoundResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Pipeline only: HTTP latencies of the posts, and the time from the last answer to searchable. */
  httpMs?: number[];
  drainSeconds?: number;
}

/** Documents of `accountId` in `indices` that a search sees now. */
async function searchable(opensearchUrl: string, indices: string, accountId: string): Promise<number> {
  const response = await fetch(`${opensearchUrl}/${indices}/_count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { term: { account_id: accountId } } }),
  });
  if (response.status === 404) return 0;
  return ((await response.json()) as { count: number }).count;
}

async function untilSearchable(
  opensearchUrl: string,
  indices: string,
  accountId: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await searchable(opensearchUrl, indices, accountId);
    if (seen >= count) return;
    if (Date.now() > deadline)
      throw new Error(`only ${seen} of ${count} events searchable after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `clients` workers over `bodies`, each taking the next body until none is left. */
async function byClients<T>(
  bodies: string[],
  clients: number,
  send: (body: string) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < bodies.length) {
        const body = bodies[next] as string;
        next += 1;
        results.push(await send(body));
      }
    }),
  );
  return results;
}

/** What both subjects send: the same bodies, by the same number of clients, for one account. */
export interface RoundInput {
  opensearchUrl: string;
  accountId: string;
  bodies: string[];
  clients: number;
  eventsPerBody: number;
}

export async function pipelineRound(
  options: RoundInput & { ingestUrl: string; writeKey: string },
): Promise<RoundResult> {
  const events = options.bodies.length * options.eventsPerBody;
  const started = performance.now();
  const httpMs = await byClients(options.bodies, options.clients, async (body) => {
    const sent = performance.now();
    const response = await fetch(options.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': options.writeKey },
      body,
    });
    const answer = await response.text();
    if (response.status !== 202)
      throw new Error(`ingest answered ${response.status}: ${answer.slice(0, 300)}`);
    return performance.now() - sent;
  });
  const answered = performance.now();
  await untilSearchable(options.opensearchUrl, 'events-*', options.accountId, events, 300_000);
  const seconds = (performance.now() - started) / 1000;
  return {
    events,
    seconds,
    eventsPerSecond: events / seconds,
    httpMs,
    drainSeconds: (performance.now() - answered) / 1000,
  };
}

export async function rawBulkRound(options: RoundInput & { index: string }): Promise<RoundResult> {
  const events = options.bodies.length * options.eventsPerBody;
  const started = performance.now();
  await byClients(options.bodies, options.clients, async (body) => {
    const lines: string[] = [];
    for (const event of (JSON.parse(body) as { events: Record<string, unknown>[] }).events) {
      lines.push(
        JSON.stringify({ index: { _index: options.index, _id: `${options.accountId}:${event.event_id}` } }),
      );
      lines.push(JSON.stringify({ ...event, account_id: options.accountId }));
    }
    const response = await fetch(`${options.opensearchUrl}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${lines.join('\n')}\n`,
    });
    const result = (await response.json()) as { errors: boolean };
    if (response.status !== 200 || result.errors)
      throw new Error(`_bulk answered ${response.status} with errors`);
  });
  await untilSearchable(options.opensearchUrl, options.index, options.accountId, events, 300_000);
  const seconds = (performance.now() - started) / 1000;
  return { events, seconds, eventsPerSecond: events / seconds };
}

export function latencySummary(ms: number[]): { p50: number; p99: number; max: number } {
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) };
}
