/**
 * Property-based, against the real local stack: whatever a client posts (generated bodies mixing valid
 * events with events nested near and far over the limit, lone surrogates, huge keys, big arrays,
 * oversized events, invalid bytes, bodies that are no event at all), ingest never answers 5xx; it rejects,
 * alone and with a reason, every event admission must reject and accepts every other one. Every accepted
 * event then ends up indexed exactly once (its first version, though some are resent with another day's
 * timestamp) and counted once in the rollups, or dead-lettered with its payload.
 *
 * Size: PROPERTY_RUNS (default 20) runs of 50 bodies of 1 to 10 events, posted 8 at a time, over 3
 * accounts: about 1,000 requests and 5,000 events, in about 80 s on a 2-core machine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachWithConcurrency } from '../../lambdas/shared/concurrency.js';
import { UNTHROTTLED_KEY_LIMITS } from '../../local/accounts.js';
import {
  eventText,
  type GeneratedBody,
  type GeneratedEvent,
  generatedBody,
} from '../helpers/event-arbitraries.js';
import { accountDocuments, postRawBody } from '../helpers/ingest-client.js';
import { deadLetters, eventually, givenAnAccount } from '../helpers/local-stack-client.js';
import { countedEvents } from '../helpers/rollup-counts.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 20);
const BODIES_PER_RUN = 50;
const ACCOUNTS = 3;
const CONCURRENCY = 8;
const RESENDS = 150;
// Posting takes about 80 s and settling up to four minutes on a busy 2-core machine.
const TEST_TIMEOUT_MS = 600_000;
const DAY_MS = 24 * 3600 * 1000;

/** What was accepted, per account: event id -> the timestamp of its first version (if the client set one). */
type Ledger = Map<string, string | undefined>[];

describe('ingest under generated bodies', () => {
  it(
    'never answers 5xx, rejects exactly what admission must, and indexes and counts the rest once',
    async () => {
      const started = performance.now();
      // Keys with limits far above the test's rate: it measures admission, not the per-key throttle.
      const accounts = await Promise.all(
        Array.from({ length: ACCOUNTS }, () => givenAnAccount(UNTHROTTLED_KEY_LIMITS)),
      );
      const ledger: Ledger = accounts.map(() => new Map());
      const tally = { bodies: 0, events: 0, accepted: 0, rejected: 0, refusedBodies: 0 };
      let nextId = 0;

      // Given thousands of generated bodies, posted as clients would…
      await fc.assert(
        fc.asyncProperty(
          fc.array(generatedBody(ACCOUNTS), { minLength: BODIES_PER_RUN, maxLength: BODIES_PER_RUN }),
          async (bodies) => {
            await forEachWithConcurrency(bodies, CONCURRENCY, async (body) => {
              const account = accounts[body.account] as (typeof accounts)[number];
              const ids = body.kind === 'events' ? body.events.map(() => `prop-${nextId++}`) : [];
              const response = await post(account.writeKey, body, ids);
              tally.bodies += 1;
              // …each answer is a 2xx or a 4xx that says why, never a 5xx…
              expect(response.status, describeBody(body)).toBeLessThan(500);
              if (body.kind === 'refused') {
                tally.refusedBodies += 1;
                expect(response.status, body.rule).toBe(400);
                return;
              }
              // …and rejects exactly the events admission must reject, each with its reasons.
              assertVerdicts(body.events, response, describeBody(body));
              tally.events += body.events.length;
              body.events.forEach((event, index) => {
                if (event.verdict !== 'accept') {
                  tally.rejected += 1;
                  return;
                }
                tally.accepted += 1;
                const timestamp = (event.event as { timestamp?: string }).timestamp;
                ledger[body.account]?.set(ids[index] as string, timestamp);
              });
            });
          },
        ),
        { numRuns: RUNS },
      );

      const posted = performance.now();
      // When some accepted events are resent with a timestamp on another day
      const resent = await resendOnAnotherDay(accounts, ledger);

      // Then every accepted event is indexed exactly once, as first sent, and counted once…
      for (const [position, account] of accounts.entries()) {
        const expected = ledger[position] as Map<string, string | undefined>;
        const documents = await eventually(
          () => accountDocuments(account.accountId),
          (docs) => docs.length >= expected.size,
          { timeoutMs: 120_000, intervalMs: 1_000 },
        );
        // The generated timestamps spread over six days put nearly every event in a minute sub-item of its
        // own, so the rollup writer does a sub-item write per event: on DynamoDB Local on a busy 2-core
        // machine that is 25-45 events/s, about two minutes for this test's ~3,000 (measured in CI).
        const counted = await eventually(
          () => countedEvents(account.accountId),
          (count) => count >= expected.size,
          { timeoutMs: 240_000, intervalMs: 2_000 },
        );
        const seen = new Map<string, number>();
        for (const doc of documents)
          seen.set(String(doc.source.event_id), (seen.get(String(doc.source.event_id)) ?? 0) + 1);
        const duplicated = [...seen].filter(([, copies]) => copies > 1).map(([id]) => id);
        const unexpected = [...seen.keys()].filter((id) => !expected.has(id));
        const missing = [...expected.keys()].filter((id) => !seen.has(id));
        // …or, if it is missing, dead-lettered with its payload.
        const lettered = new Set(
          (await deadLetters())
            .map((letter) => letter.event?.event_id)
            .filter((id: unknown) => typeof id === 'string' && expected.has(id)),
        );
        expect({
          duplicated,
          unexpected,
          missingWithoutLetter: missing.filter((id) => !lettered.has(id)),
        }).toEqual({
          duplicated: [],
          unexpected: [],
          missingWithoutLetter: [],
        });
        expect(counted).toBe(expected.size - missing.length);
        for (const doc of documents) {
          const first = expected.get(String(doc.source.event_id));
          if (first !== undefined) expect(doc.source.timestamp).toBe(new Date(first).toISOString());
        }
      }
      console.log(
        `[ingest-property] ${JSON.stringify({
          ...tally,
          resent,
          postingSeconds: Math.round((posted - started) / 1000),
          settlingSeconds: Math.round((performance.now() - posted) / 1000),
        })}`,
      );
    },
    TEST_TIMEOUT_MS,
  );
});

/** Posts a generated body: events as a batch (a lone object sometimes bare), refused bodies as bytes. */
function post(key: string, body: GeneratedBody, ids: string[]) {
  if (body.kind === 'refused') return postRawBody(key, body.bytes, body.contentType);
  const texts = body.events.map((event, index) => eventText(event, ids[index] as string));
  const bare = texts.length === 1 && (texts[0] as string).startsWith('{') && ids.length % 2 === 0;
  return postRawBody(key, bare ? (texts[0] as string) : `{"events":[${texts.join(',')}]}`);
}

/** The answer admission owes the body: 202 if anything is valid, else 413 if only sizes failed, else 400. */
function assertVerdicts(
  events: GeneratedEvent[],
  response: {
    status: number;
    body: { accepted?: number; rejected?: { index: number; errors: unknown[] }[] };
  },
  context: string,
): void {
  const accepted = events.filter((event) => event.verdict === 'accept').length;
  const onlySize = events.every((event) => event.verdict === 'tooLarge');
  const status = accepted > 0 ? 202 : onlySize ? 413 : 400;
  expect(response.status, context).toBe(status);
  if (status === 202) expect(response.body.accepted, context).toBe(accepted);
  const rejected = response.body.rejected ?? [];
  expect(
    rejected.map((rejection) => rejection.index),
    context,
  ).toEqual(events.flatMap((event, index) => (event.verdict === 'accept' ? [] : [index])));
  for (const rejection of rejected) {
    expect(rejection.errors.length, context).toBeGreaterThan(0);
    for (const error of rejection.errors)
      expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
}

/** Resends accepted events that carried a timestamp, one day off, as a retrying client with a bad clock would. */
async function resendOnAnotherDay(accounts: { writeKey: string }[], ledger: Ledger): Promise<number> {
  let resent = 0;
  for (const [position, account] of accounts.entries()) {
    const picked = [...(ledger[position] ?? [])]
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .slice(0, RESENDS / accounts.length);
    const events = picked.map(([id, timestamp]) => {
      const at = Date.parse(timestamp);
      const shifted = at > Date.now() - 5 * DAY_MS ? at - DAY_MS : at + DAY_MS;
      return {
        event_id: id,
        type: 'resend',
        timestamp: new Date(shifted).toISOString(),
        properties: { resent: true },
      };
    });
    for (let start = 0; start < events.length; start += 50) {
      const response = await postRawBody(
        account.writeKey,
        JSON.stringify({ events: events.slice(start, start + 50) }),
      );
      expect(response.status).toBe(202);
      resent += response.body.accepted;
    }
  }
  return resent;
}

function describeBody(body: GeneratedBody): string {
  return body.kind === 'refused'
    ? `refused body (${body.rule})`
    : `events: ${body.events.map((event) => `${event.rule}/${event.verdict}`).join(', ')}`;
}
