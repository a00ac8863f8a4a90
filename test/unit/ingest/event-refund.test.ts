/**
 * Refunds of admitted events Kinesis did not acknowledge: a resend of what a 503 named is not charged
 * twice, a refund never makes a bucket fuller than full, what is written stays within the key's limit
 * over any sequence of admissions and refunds, and a failing table never fails the request's answer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventAdmission } from '../../../lambdas/ingest/event-admission.js';
import { createEventRefund } from '../../../lambdas/ingest/event-refund.js';
import { type DynamoDbCall, DynamoDbError } from '../../../lambdas/shared/dynamodb-json.js';
import type { Log } from '../../../lambdas/shared/logger.js';
import { admissionTable } from '../../helpers/admission-table.js';
import { silentLog } from '../../helpers/factories.js';

const START = Date.parse('2026-01-15T10:30:00.000Z');
const LIMITS = { eventRateLimit: 100, eventBurstLimit: 1000 };

function keyOf(call: DynamoDbCall, clock: { now: number }, log: Log = silentLog) {
  const options = { call, tableName: 'admission', now: () => clock.now, log };
  return { admit: createEventAdmission(options), refund: createEventRefund({ ...options, timeoutMs: 50 }) };
}

describe('event refund', () => {
  it('lets the resend of a full burst that Kinesis refused in at once', async () => {
    const { call } = admissionTable();
    const clock = { now: START };
    const { admit, refund } = keyOf(call, clock);

    expect(await admit('key_a', 1000, LIMITS)).toEqual({ admitted: true });
    await refund('key_a', 1000, LIMITS);
    const resend = await admit('key_a', 1000, LIMITS);

    expect(resend).toEqual({ admitted: true });
    expect((await admit('key_a', 1, LIMITS)).admitted).toBe(false);
  });

  it('gives back only the events not written', async () => {
    const { call } = admissionTable();
    const clock = { now: START };
    const { admit, refund } = keyOf(call, clock);

    await admit('key_a', 1000, LIMITS);
    await refund('key_a', 300, LIMITS);

    expect(await admit('key_a', 301, LIMITS)).toMatchObject({ admitted: false, remaining: 300 });
    expect(await admit('key_a', 300, LIMITS)).toEqual({ admitted: true });
  });

  it('never makes a bucket fuller than full when the rate has already paid part of the charge back', async () => {
    const { call } = admissionTable();
    const clock = { now: START };
    const { admit, refund } = keyOf(call, clock);

    await admit('key_a', 500, LIMITS);
    clock.now += 3_000;
    await refund('key_a', 500, LIMITS);

    // A tat two seconds behind now is a full bucket, no more: 1,000 events, then nothing.
    expect(await admit('key_a', 1000, LIMITS)).toEqual({ admitted: true });
    expect((await admit('key_a', 1, LIMITS)).admitted).toBe(false);
  });

  it('writes nothing for an idle key, and warns without throwing when the table fails or hangs', async () => {
    const { call, tats } = admissionTable();
    const warnings: string[] = [];
    const log = { ...silentLog, warn: (message: string) => warnings.push(message) } as Log;
    await keyOf(call, { now: START }, log).refund('key_idle', 500, LIMITS);
    expect([tats.has('key_idle'), warnings]).toEqual([false, []]);

    const failing: DynamoDbCall = async () => {
      throw new DynamoDbError('InternalServerError', 500, { message: 'Internal server error' });
    };
    const hanging: DynamoDbCall = (_operation, _input, signal) =>
      new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    for (const broken of [failing, hanging])
      await keyOf(broken, { now: START }, log).refund('key_a', 500, LIMITS);

    expect(warnings).toEqual([
      'event admission refund failed: resent events may wait for their limit',
      'event admission refund failed: resent events may wait for their limit',
    ]);
  });

  it('keeps what is written within the burst plus the rate times the time elapsed, whatever is refunded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          eventRateLimit: fc.integer({ min: 1, max: 5_000 }),
          burstFactor: fc.integer({ min: 1, max: 4 }),
        }),
        fc.array(
          fc.record({
            afterMs: fc.integer({ min: 0, max: 3_000 }),
            events: fc.integer({ min: 1, max: 500 }),
            unwrittenShare: fc.constantFrom(0, 0, 0.5, 1),
            refundAfterMs: fc.integer({ min: 0, max: 2_000 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        async ({ eventRateLimit, burstFactor }, requests) => {
          const { call } = admissionTable();
          const limits = { eventRateLimit, eventBurstLimit: 500 * burstFactor };
          const clock = { now: START };
          const { admit, refund } = keyOf(call, clock);
          let written = 0;
          for (const request of requests) {
            clock.now += request.afterMs;
            if (!(await admit('key_p', request.events, limits)).admitted) continue;
            const unwritten = Math.floor(request.events * request.unwrittenShare);
            written += request.events - unwritten;
            clock.now += request.refundAfterMs;
            if (unwritten > 0) await refund('key_p', unwritten, limits);
            const elapsedSeconds = (clock.now - START) / 1000;
            expect(written).toBeLessThanOrEqual(limits.eventBurstLimit + eventRateLimit * elapsedSeconds + 1);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
