/**
 * Per-key event admission (GCRA over one DynamoDB item per key): the verdicts, the limit over any
 * sequence of requests, the writes it makes, and that a failing table admits rather than refuses. The
 * table here (`admission-table.ts`) applies the module's conditional writes to an in-memory item; the
 * same writes against DynamoDB Local, concurrently, are in test/integration/event-admission.test.ts.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEventAdmission } from '../../../lambdas/ingest/event-admission.js';
import { type DynamoDbCall, DynamoDbError } from '../../../lambdas/shared/dynamodb-json.js';
import type { Log } from '../../../lambdas/shared/logger.js';
import { type AdmissionCall, admissionTable, numberOf } from '../../helpers/admission-table.js';
import { silentLog } from '../../helpers/factories.js';

const START = Date.parse('2026-01-15T10:30:00.000Z');

/** The calls the admissions of a test made, in order. */
let calls: AdmissionCall[] = [];

/** The test's admission table, recording its calls in `calls`. */
function fakeTable(options: { returnsOldItem?: boolean } = {}) {
  return admissionTable({ ...options, calls });
}

function admissionAt(
  clock: { now: number },
  call: DynamoDbCall,
  extra: { log?: Log; onUnchecked?: () => void } = {},
) {
  return createEventAdmission({
    call,
    tableName: 'admission',
    now: () => clock.now,
    log: extra.log ?? silentLog,
    ...(extra.onUnchecked ? { onUnchecked: extra.onUnchecked } : {}),
  });
}

const LIMITS = { eventRateLimit: 100, eventBurstLimit: 1000 };

beforeEach(() => {
  calls = [];
});

describe('event admission', () => {
  it('admits up to the burst at once, then refuses naming the wait and what could go now', async () => {
    const { call } = fakeTable();
    const clock = { now: START };
    const admit = admissionAt(clock, call);

    const first = await admit('key_a', 500, LIMITS);
    const second = await admit('key_a', 500, LIMITS);
    const third = await admit('key_a', 500, LIMITS);
    clock.now += 2_000;
    const smallAfterTwoSeconds = await admit('key_a', 200, LIMITS);

    expect([first, second]).toEqual([{ admitted: true }, { admitted: true }]);
    // The bucket is empty: 500 events at 100/s free up in 5 s.
    expect(third).toEqual({ admitted: false, retryAfterSeconds: 5, remaining: 0 });
    // Two seconds refill 200 events.
    expect(smallAfterTwoSeconds).toEqual({ admitted: true });
  });

  it("keeps each key's budget apart: one key over its limit leaves another's whole", async () => {
    const { call } = fakeTable();
    const clock = { now: START };
    const admit = admissionAt(clock, call);

    await admit('key_flood', 1000, LIMITS);
    const flood = await admit('key_flood', 1, LIMITS);
    const bystander = await admit('key_quiet', 1000, LIMITS);

    expect(flood.admitted).toBe(false);
    expect(bystander).toEqual({ admitted: true });
  });

  it('refuses more events than the burst in one request without asking the table', async () => {
    const { call } = fakeTable();
    const admit = admissionAt({ now: START }, call);

    const verdict = await admit('key_a', 501, { eventRateLimit: 10, eventBurstLimit: 500 });

    expect(verdict).toEqual({ admitted: false, overBurst: true });
    expect(calls).toHaveLength(0);
  });

  it('never admits more than the burst plus the rate times the time elapsed, and admits a steady rate within it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          eventRateLimit: fc.integer({ min: 1, max: 5_000 }),
          burstFactor: fc.integer({ min: 1, max: 20 }),
        }),
        fc.array(
          fc.record({
            afterMs: fc.integer({ min: 0, max: 3_000 }),
            events: fc.integer({ min: 1, max: 500 }),
          }),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        async ({ eventRateLimit, burstFactor }, requests) => {
          const { call } = fakeTable();
          const limits = { eventRateLimit, eventBurstLimit: 500 * burstFactor };
          const clock = { now: START };
          const admit = admissionAt(clock, call);
          let admitted = 0;
          for (const request of requests) {
            clock.now += request.afterMs;
            const verdict = await admit('key_p', request.events, limits);
            if (verdict.admitted) admitted += request.events;
            else if ('retryAfterSeconds' in verdict) {
              expect(verdict.retryAfterSeconds).toBeGreaterThanOrEqual(1);
              expect(verdict.remaining).toBeLessThan(request.events);
            }
            const elapsedSeconds = (clock.now - START) / 1000;
            expect(admitted).toBeLessThanOrEqual(
              limits.eventBurstLimit + eventRateLimit * elapsedSeconds + 1,
            );
          }
        },
      ),
      { numRuns: 150 },
    );

    // A key sending exactly its rate, in requests spaced by their cost, is never refused.
    const { call } = fakeTable();
    const clock = { now: START };
    const admit = admissionAt(clock, call);
    for (let request = 0; request < 50; request += 1) {
      expect(await admit('key_steady', 250, LIMITS)).toEqual({ admitted: true });
      clock.now += 2_500;
    }
  });

  it('never refuses a key with a huge rate what it admits to a key with a rate of a million', async () => {
    const { call } = fakeTable();
    const admit = admissionAt({ now: START }, call);
    const verdicts = [];

    for (const eventRateLimit of [1_000_000, 2_000_000_000, Number.MAX_SAFE_INTEGER]) {
      const limits = { eventRateLimit, eventBurstLimit: 1000 };
      const key = `key_${eventRateLimit}`;
      verdicts.push([await admit(key, 500, limits), await admit(key, 500, limits)]);
    }

    expect(verdicts.flat()).toEqual(new Array(6).fill({ admitted: true }));
  });

  it('holds a key to the limits it has now, not to a wait its earlier, lower limits ran up', async () => {
    const { call } = fakeTable();
    const clock = { now: START };
    const admit = admissionAt(clock, call);
    // At 1 event a second, a full burst of 500 runs the key's time 500 s ahead; then its limits are raised.
    await admit('key_a', 500, { eventRateLimit: 1, eventBurstLimit: 500 });
    const raised = { eventRateLimit: 1000, eventBurstLimit: 1000 };

    clock.now += 1_000;
    const refused = await admit('key_a', 500, raised);
    clock.now += 1_000;
    const afterTheNewWait = await admit('key_a', 500, raised);

    // Under the new limits the bucket is at most full: 500 events fit again within a second.
    expect(refused).toEqual({ admitted: false, retryAfterSeconds: 1, remaining: 0 });
    expect(afterTheNewWait).toEqual({ admitted: true });
  });

  it('never sets back a tat another environment wrote just after this one read its clock', async () => {
    const { tats, call } = fakeTable();
    const late = { now: START };
    const early = { now: START + 5 };
    await admissionAt(early, call)('key_a', 1000, LIMITS);
    const full = tats.get('key_a');

    // This request read its clock 5 ms before the other filled the bucket: it sees the bucket overfull.
    const verdict = await admissionAt(late, call)('key_a', 500, LIMITS);

    expect(verdict.admitted).toBe(false);
    expect(tats.get('key_a')).toBe(full);
  });

  it('writes one conditional update per request: idle keys set the time, busy keys add to it, and the item expires', async () => {
    const { call } = fakeTable();
    const clock = { now: START };
    const admit = admissionAt(clock, call);

    await admit('key_a', 100, LIMITS);
    await admit('key_a', 100, LIMITS);

    const updates = calls.filter((call) => call.operation === 'UpdateItem').map((call) => call.input);
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatchObject({
      TableName: 'admission',
      Key: { keyId: { S: 'key_a' } },
      UpdateExpression: 'SET tat = :next, expiresAt = :expires',
      ExpressionAttributeValues: {
        ':next': { N: String((START + 1_000) * 1_000) },
        ':now': { N: String(START * 1_000) },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    // The second request knew the key was busy and made the busy write first.
    expect(updates[1]).toMatchObject({
      UpdateExpression: 'SET tat = tat + :cost, expiresAt = :expires',
      ExpressionAttributeValues: { ':cost': { N: '1000000' } },
    });
    // Expires an hour after the bucket would be full again at the latest (TTL is in epoch seconds).
    const expires = numberOf(updates[0]?.ExpressionAttributeValues, ':expires');
    expect(expires).toBe(Math.ceil(START / 1000) + 10 + 3_600);
  });

  it('learns the state from the table when another environment changed it, and reads it back when the failed condition brings no item', async () => {
    for (const returnsOldItem of [true, false]) {
      calls = [];
      const { tats, call } = fakeTable({ returnsOldItem });
      const clock = { now: START };
      const here = admissionAt(clock, call);
      const elsewhere = admissionAt(clock, call);

      // This environment saw the key idle; another has since filled its bucket.
      await here('key_a', 10, LIMITS);
      clock.now += 1_000;
      await elsewhere('key_a', 1000, LIMITS);
      const verdict = await here('key_a', 10, LIMITS);

      expect(verdict).toMatchObject({ admitted: false, retryAfterSeconds: 1 });
      expect(tats.get('key_a')).toBe((START + 1_000 + 10_000) * 1_000);
      expect(calls.filter((call) => call.operation === 'GetItem')).toHaveLength(returnsOldItem ? 0 : 1);
    }
  });

  it('admits, logs and counts a request the table cannot answer', async () => {
    const failing: DynamoDbCall = async () => {
      throw new DynamoDbError('InternalServerError', 500, { message: 'Internal server error' });
    };
    const warnings: string[] = [];
    const log = { ...silentLog, warn: (message: string) => warnings.push(message) } as Log;
    let unchecked = 0;
    const admit = admissionAt({ now: START }, failing, { log, onUnchecked: () => (unchecked += 1) });

    const verdict = await admit('key_a', 500, LIMITS);

    expect(verdict).toEqual({ admitted: true, unchecked: true });
    expect(unchecked).toBe(1);
    expect(warnings).toEqual(['event admission unchecked: the admission table did not answer']);
  });

  it('tries once more after a reset connection or a server error, and fails open only on a second failure', async () => {
    const { call } = fakeTable();
    const failures = [
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      new DynamoDbError('InternalServerError', 500, { message: 'Internal server error' }),
      new DynamoDbError('ThrottlingException', 400, { message: 'Throughput exceeds the limit' }),
    ];
    for (const failure of failures) {
      let failuresLeft = 1;
      const flaky: DynamoDbCall = async (operation, input, signal) => {
        if (failuresLeft-- > 0) throw failure;
        return call(operation, input, signal);
      };
      let unchecked = 0;
      const admit = admissionAt({ now: START }, flaky, { onUnchecked: () => (unchecked += 1) });

      expect(await admit(`key_${failure.message}`, 10, LIMITS)).toEqual({ admitted: true });
      expect(unchecked).toBe(0);
    }

    // Twice in a row, or an answer about the request itself, is not tried again
    let calls = 0;
    const broken: DynamoDbCall = async () => {
      calls += 1;
      throw calls > 2
        ? new DynamoDbError('ValidationException', 400, {
            message: 'One or more parameter values were invalid',
          })
        : Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    let unchecked = 0;
    const admit = admissionAt({ now: START }, broken, { onUnchecked: () => (unchecked += 1) });
    expect(await admit('key_b', 10, LIMITS)).toEqual({ admitted: true, unchecked: true });
    expect(await admit('key_b', 10, LIMITS)).toEqual({ admitted: true, unchecked: true });
    expect([calls, unchecked]).toEqual([3, 2]);
  });
});
