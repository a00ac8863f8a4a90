/**
 * Per-key event admission against DynamoDB Local's admission table, as the local stack created it:
 * the conditional writes hold under concurrency (environments racing for one key's bucket admit exactly
 * the burst), a refilled bucket admits again, a refund of unwritten events lets their resend in, and a
 * table that does not answer admits the request within the admission's time limit instead of holding it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createEventAdmission, type EventAdmission } from '../../lambdas/ingest/event-admission.js';
import { createEventRefund } from '../../lambdas/ingest/event-refund.js';
import { dynamoDbCall } from '../../lambdas/shared/dynamodb-json.js';
import type { Log } from '../../lambdas/shared/logger.js';
import { LOCAL_CREDENTIALS } from '../../local/local-aws.js';
import { silentLog } from '../helpers/factories.js';
import { localStack } from '../helpers/local-stack-client.js';

/** What the admissions warned about: a check that failed open would pass any count silently. */
const warnings: string[] = [];
const warningLog = {
  ...silentLog,
  warn: (message: string, fields?: unknown) => warnings.push(`${message} ${JSON.stringify(fields)}`),
} as Log;

/**
 * An admission with its own call, as each execution environment has, configured from the environment
 * the local stack gives ingest (its region, endpoint and credentials).
 */
function environment(
  endpoint: string,
  extra: { timeoutMs?: number; onUnchecked?: () => void } = {},
): EventAdmission {
  return createEventAdmission({ ...admissionTable(endpoint), ...extra });
}

function admissionTable(endpoint: string) {
  const stack = localStack();
  return {
    call: dynamoDbCall({
      ...LOCAL_CREDENTIALS,
      AWS_REGION: stack.region,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    }),
    tableName: stack.admissionTableName,
    now: Date.now,
    log: warningLog,
  };
}

describe('event admission on DynamoDB Local', () => {
  it('admits exactly the burst when eight environments race for one key, and again once it refills', async () => {
    const { dynamodbUrl } = localStack();
    // Time enough for DynamoDB Local serializing 24 writes to one item on a busy machine: this is
    // about the writes' atomicity, and a timed-out check would admit (and warn).
    const environments = Array.from({ length: 8 }, () => environment(dynamodbUrl, { timeoutMs: 30_000 }));
    const keyId = `key_${randomUUID()}`;
    // 1,000 events of burst; at 1 event a second nothing refills while the race lasts.
    const slow = { eventRateLimit: 1, eventBurstLimit: 1000 };

    const verdicts = await Promise.all(
      Array.from({ length: 24 }, (_, request) =>
        (environments[request % 8] as EventAdmission)(keyId, 100, slow),
      ),
    );

    expect(warnings).toEqual([]);
    expect(verdicts.filter((verdict) => verdict.admitted)).toHaveLength(10);
    for (const verdict of verdicts.filter((verdict) => !verdict.admitted)) {
      expect(verdict).toMatchObject({ admitted: false, remaining: expect.any(Number) });
      if ('retryAfterSeconds' in verdict) expect(verdict.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }

    // A key at 1,000 events a second, emptied, refills 500 events in half a second.
    const fast = { eventRateLimit: 1000, eventBurstLimit: 1000 };
    const other = `key_${randomUUID()}`;
    const admit = environments[0] as EventAdmission;
    expect(await admit(other, 1000, fast)).toEqual({ admitted: true });
    expect((await admit(other, 500, fast)).admitted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await admit(other, 500, fast)).toEqual({ admitted: true });
  });

  it('lets the resend of a refunded burst in at once, and writes nothing for an idle key', async () => {
    const { dynamodbUrl } = localStack();
    const admit = environment(dynamodbUrl, { timeoutMs: 30_000 });
    const refund = createEventRefund({ ...admissionTable(dynamodbUrl), timeoutMs: 30_000 });
    const slow = { eventRateLimit: 1, eventBurstLimit: 1000 };
    const keyId = `key_${randomUUID()}`;

    // Kinesis acknowledged 400 of a full burst: their charge stays, the 600 others' comes back.
    expect(await admit(keyId, 1000, slow)).toEqual({ admitted: true });
    await refund(keyId, 600, slow);
    const tooMany = await admit(keyId, 601, slow);
    const resend = await admit(keyId, 600, slow);
    const idle = `key_${randomUUID()}`;
    await refund(idle, 500, slow);

    expect(warnings).toEqual([]);
    expect([tooMany.admitted, resend]).toEqual([false, { admitted: true }]);
    // A refund creates no item: the idle key's first request is charged from a full bucket.
    expect(await admit(idle, 1000, slow)).toEqual({ admitted: true });
    expect((await admit(idle, 1, slow)).admitted).toBe(false);
  });

  it('admits, and counts as unchecked, a request whose table does not answer within the time limit', async () => {
    // A server that takes connections and never answers: DynamoDB hung.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    let unchecked = 0;
    const admit = environment(`http://127.0.0.1:${port}`, {
      timeoutMs: 300,
      onUnchecked: () => (unchecked += 1),
    });

    try {
      const started = performance.now();
      const verdict = await admit(`key_${randomUUID()}`, 500, { eventRateLimit: 1, eventBurstLimit: 500 });
      const tookMs = performance.now() - started;

      expect(verdict).toEqual({ admitted: true, unchecked: true });
      expect(unchecked).toBe(1);
      expect(warnings.splice(0)).toEqual([expect.stringContaining('event admission unchecked')]);
      expect(tookMs).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
