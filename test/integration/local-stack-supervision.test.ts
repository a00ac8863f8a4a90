/**
 * The local stack runs like a managed service: when OpenSearch or the indexer's execution environment
 * dies, it comes back on its own and the pipeline catches up, without losing or doubling an event.
 * Faults are caused for real, through the stack's control API (SIGKILL, SIGSTOP).
 */
import { describe, expect, it } from 'vitest';
import {
  deadLetters,
  eventually,
  functionEnvironments,
  givenAnAccount,
  localStack,
  mappingStats,
  postEvents,
  putRawRecord,
  searchAccountEvents,
  servers,
  signalFunction,
  signalServer,
  someEvents,
} from '../helpers/local-stack-client.js';

/** Every posted event id is indexed, and none twice. */
async function expectIndexedExactlyOnce(accountId: string, eventIds: string[]): Promise<void> {
  const docs = await eventually(
    () => searchAccountEvents(accountId),
    (found) => found.length >= eventIds.length,
    { timeoutMs: 150_000, intervalMs: 1000 },
  );
  const indexedIds = docs.map((doc) => doc.event_id as string);
  expect(indexedIds.length).toBe(eventIds.length);
  expect(new Set(indexedIds)).toEqual(new Set(eventIds));
}

describe('the local stack supervises its servers', () => {
  it('restarts OpenSearch killed with SIGKILL; events posted before, during and after are indexed once', async () => {
    // Given an account whose first batch is indexed
    const account = await givenAnAccount();
    const before = someEvents(40);
    expect((await postEvents(account.writeKey, before)).status).toBe(202);
    await eventually(
      () => searchAccountEvents(account.accountId),
      (docs) => docs.length >= before.length,
    );
    const { pid: killedPid } = (await servers()).opensearch ?? { pid: undefined };

    // When OpenSearch is killed, a batch is posted while it is down, and another once it is back
    const killedAt = performance.now();
    await signalServer('opensearch', 'SIGKILL');
    const during = someEvents(40);
    expect((await postEvents(account.writeKey, during)).status).toBe(202);
    const back = await eventually(
      async () => (await servers()).opensearch,
      (server) => server?.state === 'running' && server.pid !== killedPid,
      { timeoutMs: 150_000, intervalMs: 250 },
    );
    const restartSeconds = (performance.now() - killedAt) / 1000;
    const after = someEvents(40);
    expect((await postEvents(account.writeKey, after)).status).toBe(202);

    // Then OpenSearch is running again under a new process, on the same URL…
    expect(back).toMatchObject({ state: 'running', url: localStack().opensearchUrl });
    expect(back?.starts).toBeGreaterThanOrEqual(2);
    console.log(`[supervision] OpenSearch back ${restartSeconds.toFixed(1)} s after SIGKILL`);

    // …and all 120 events are indexed, each exactly once, with no batch given up on.
    await expectIndexedExactlyOnce(
      account.accountId,
      [...before, ...during, ...after].map((event) => event.event_id as string),
    );
    const stats = await mappingStats();
    expect(stats.indexer).toMatchObject({ discardedBatches: 0 });
  });

  it('replaces the indexer environment killed mid-batch; the batch is redelivered and indexed once', async () => {
    // Given OpenSearch paused, so the indexer is stuck in the middle of a batch
    const account = await givenAnAccount();
    const events = someEvents(30);
    await signalServer('opensearch', 'SIGSTOP');
    try {
      expect((await postEvents(account.writeKey, events)).status).toBe(202);
      const busy = await eventually(
        async () => (await functionEnvironments()).indexer,
        (indexer) => (indexer?.environments ?? []).some((environment) => environment.state === 'busy'),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(busy?.environments.some((environment) => environment.state === 'busy')).toBe(true);

      // When that environment is killed
      const { pids } = await signalFunction('indexer', 'SIGKILL', true);
      expect(pids.length).toBeGreaterThan(0);
    } finally {
      await signalServer('opensearch', 'SIGCONT');
    }

    // Then a new environment takes the redelivered batch and every event is indexed exactly once
    await expectIndexedExactlyOnce(
      account.accountId,
      events.map((event) => event.event_id as string),
    );
    const stats = await mappingStats();
    expect(stats.indexer).toMatchObject({ discardedBatches: 0 });
  });

  it('restarts DynamoDB Local, kinesalite and ElasticMQ on their data: keys, stream and dead letters survive', async () => {
    // Given an account with indexed events, and a dead letter in the queue
    const account = await givenAnAccount();
    const before = someEvents(20);
    expect((await postEvents(account.writeKey, before)).status).toBe(202);
    const garbage = await putRawRecord('not json, to be dead-lettered');
    await eventually(
      async () => (await deadLetters()).filter((letter) => letter.sequenceNumber === garbage),
      (letters) => letters.length >= 1,
    );
    const startsBefore = await servers();

    // When all three are killed, and a client keeps posting (retrying on 503) until they are back
    for (const name of ['dynamodb', 'kinesis', 'sqs']) await signalServer(name, 'SIGKILL');
    const during = someEvents(20);
    await eventually(
      () => postEvents(account.writeKey, during),
      (response) => response.status === 202,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const back = await eventually(
      () => servers(),
      (all) => ['dynamodb', 'kinesis', 'sqs'].every((name) => all[name]?.state === 'running'),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const after = someEvents(20);
    expect((await postEvents(account.writeKey, after)).status).toBe(202);

    // Then each was restarted (the account's key still works), the dead letter is still there…
    for (const name of ['dynamodb', 'kinesis', 'sqs']) {
      expect(back[name]?.starts).toBe((startsBefore[name]?.starts ?? 0) + 1);
    }
    expect((await deadLetters()).some((letter) => letter.sequenceNumber === garbage)).toBe(true);

    // …and every event is indexed exactly once.
    await expectIndexedExactlyOnce(
      account.accountId,
      [...before, ...during, ...after].map((event) => event.event_id as string),
    );
  });

  it('answers 503 with Retry-After, never a 2xx or a bare 500, while the key store hangs; the resend is indexed once', async () => {
    // Given an account whose key no authorizer has read yet (none has it cached)
    const account = await givenAnAccount();
    const events = someEvents(10);

    // When DynamoDB Local hangs (SIGSTOP) while the client posts
    await signalServer('dynamodb', 'SIGSTOP');
    let during: Awaited<ReturnType<typeof postEvents>>;
    try {
      during = await postEvents(account.writeKey, events);
    } finally {
      await signalServer('dynamodb', 'SIGCONT');
    }

    // Then the answer says to come back, and the same events resent once it is back are accepted…
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('1');
    expect(during.body.message).toMatch(/the API key could not be checked/);
    const resent = await eventually(
      () => postEvents(account.writeKey, events),
      (response) => response.status !== 503,
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(resent.status).toBe(202);

    // …and indexed exactly once
    await expectIndexedExactlyOnce(
      account.accountId,
      events.map((event) => event.event_id as string),
    );
  });

  it('answers 400, not 500, to a path with malformed percent-encoding', async () => {
    // Given an account's read key
    const account = await givenAnAccount();

    // When a client asks for a summary under a malformed path
    const base = localStack().statsUrl.replace(/\/v1\/accounts\/.*$/, '');
    const response = await fetch(`${base}/v1/accounts/%/summary`, {
      headers: { 'x-api-key': account.readKey },
    });

    // Then it gets a 400 that says what is wrong
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(
      /Malformed percent-encoding.*"%"/,
    );
  });
});
