/**
 * Given/when/then helpers for tests against the real local stack: each scenario gets its own account,
 * so tests never depend on each other or on what ran before.
 */
import { randomUUID } from 'node:crypto';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { type DevAccount, newDevAccount, type OwnKeyLimits, registerAccount } from '../../local/accounts.js';
import { localKinesis, localSqs } from '../../local/services/local-clients.js';
import type { LocalEndpoints } from '../../local/stack.js';

let ownStack: LocalEndpoints | undefined;

/** Points the helpers at a stack the test file started itself (the chaos test), or back (undefined). */
export function useLocalStack(endpoints: LocalEndpoints | undefined): void {
  ownStack = endpoints;
}

/** The endpoints of the stack started by `local-stack-setup.ts` (or by the test file, see `useLocalStack`). */
export function localStack(): LocalEndpoints {
  return ownStack ?? inject('localStack');
}

/**
 * A new account with a write key and a read key, registered (hashed) in the api-keys table. `limits`
 * gives its keys request and event limits of their own; tests that post a lot give them generous ones, so the
 * defaults never throttle a test.
 */
export async function givenAnAccount(limits: OwnKeyLimits = {}): Promise<DevAccount> {
  const stack = localStack();
  const account = newDevAccount('acct_e2e');
  await registerAccount(
    {
      dynamodbUrl: stack.dynamodbUrl,
      region: stack.region,
      apiKeysTableName: stack.apiKeysTableName,
      accountsTableName: stack.accountsTableName,
    },
    account,
    limits,
  );
  return account;
}

/** `count` valid page_view events with unique ids, spread over a few users and paths. */
export function someEvents(
  count: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => ({
    event_id: `evt-${randomUUID()}`,
    type: index % 3 === 0 ? 'login' : 'page_view',
    user_id: `user-${index % 5}`,
    path: `/page/${index % 4}`,
    properties: { index, nested: { plan: index % 2 === 0 ? 'free' : 'pro' } },
    ...overrides,
  }));
}

/** Bodies the tests assert on by shape (toMatchObject), so they are deliberately untyped. */
// biome-ignore lint/suspicious/noExplicitAny: JSON from the system under test, checked by the assertions.
export type Json = any;

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Json;
}

async function asResult(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text, the assertion will show it.
  }
  return { status: response.status, headers: response.headers, body };
}

/** POSTs a batch to the ingest endpoint with the given key. */
export async function postEvents(key: string, events: unknown[] | unknown): Promise<HttpResult> {
  const body = Array.isArray(events) ? { events } : events;
  const response = await fetch(localStack().ingestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
  return asResult(response);
}

/** GETs an account's summary through the stats API. */
export async function getSummary(
  accountId: string,
  key: string,
  query = 'window=last_24h',
): Promise<HttpResult> {
  const base = localStack().statsUrl.replace(/accounts\/[^/]+\/summary$/, `accounts/${accountId}/summary`);
  const response = await fetch(`${base}?${query}`, { headers: { 'x-api-key': key } });
  return asResult(response);
}

/** The account's documents in OpenSearch (after a refresh, so what is indexed is visible). */
export async function searchAccountEvents(accountId: string): Promise<Record<string, Json>[]> {
  const { opensearchUrl } = localStack();
  await fetch(`${opensearchUrl}/events-*/_refresh`, { method: 'POST' });
  const response = await fetch(`${opensearchUrl}/events-*/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: 1000, query: { term: { account_id: accountId } } }),
  });
  if (response.status === 404) return [];
  const result = (await response.json()) as {
    hits?: { hits: { _id: string; _source: Record<string, Json> }[] };
  };
  return (result.hits?.hits ?? []).map((hit) => ({ _id: hit._id, ...hit._source }));
}

/**
 * Polls `probe` until `done` holds for its result or the time is up; returns the last result, so the
 * caller's assertion shows what was there instead of a bare timeout.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await probe();
  }
  return value;
}

export interface DashboardConnection {
  messages: Json[];
  /** Size in bytes of every message received, in order. */
  messageBytes: number[];
  /** Every event received in `events` frames. */
  events(): Record<string, Json>[];
  send(message: unknown): void;
  close(): Promise<void>;
}

/** The REST API's base URL (the ingest URL without `/v1/events`). */
export function restUrl(): string {
  return localStack().ingestUrl.replace(/\/v1\/events$/, '');
}

/** `POST /v1/live-tokens` with the given headers (`x-api-key` to sign in, `x-live-token` to renew). */
export async function postLiveToken(headers: Record<string, string>): Promise<HttpResult> {
  return asResult(await fetch(`${restUrl()}/v1/live-tokens`, { method: 'POST', headers }));
}

/** Exchanges a read key for a live token, as the dashboard page does at sign-in. */
export async function liveToken(readKey: string): Promise<string> {
  const result = await postLiveToken({ 'x-api-key': readKey });
  if (result.status !== 201)
    throw new Error(`live token refused: HTTP ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.token as string;
}

/**
 * Connects to the WebSocket API as a dashboard would: the read key is exchanged for a live token, which
 * goes in the query string (the read key never does).
 */
export async function connectDashboard(readKey: string): Promise<DashboardConnection> {
  return connectWithToken(await liveToken(readKey));
}

/** Connects to the WebSocket API with `token` in the query string, whatever it is. */
export async function connectWithToken(token: string): Promise<DashboardConnection> {
  const socket = new WebSocket(`${localStack().websocketUrl}/?token=${encodeURIComponent(token)}`);
  const messages: Json[] = [];
  const messageBytes: number[] = [];
  socket.on('message', (data) => {
    messageBytes.push(Buffer.byteLength(data.toString()));
    try {
      messages.push(JSON.parse(data.toString()));
    } catch {
      messages.push(data.toString());
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`WebSocket connect rejected with HTTP ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
  return {
    messages,
    messageBytes,
    events: () =>
      messages
        .filter((message) => message && message.type === 'events')
        .flatMap((message) => message.events as Record<string, Json>[]),
    send: (message) => socket.send(JSON.stringify(message)),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}

/** Puts raw bytes on the events stream, as a misbehaving producer could; returns the sequence number. */
export async function putRawRecord(data: string, partitionKey = 'raw'): Promise<string> {
  const stack = localStack();
  const kinesis = localKinesis(stack.kinesisUrl, { region: stack.region, maxAttempts: 3 });
  try {
    const { SequenceNumber } = await kinesis.send(
      new PutRecordCommand({
        StreamName: stack.streamName,
        PartitionKey: partitionKey,
        Data: Buffer.from(data),
      }),
    );
    if (!SequenceNumber) throw new Error('kinesalite returned no sequence number');
    return SequenceNumber;
  } finally {
    kinesis.destroy();
  }
}

/**
 * Every message now in the dead-letter queue, parsed. Received with a zero visibility timeout so the
 * messages stay there for other tests and for a person looking.
 */
export async function deadLetters(): Promise<Json[]> {
  const stack = localStack();
  const sqs = localSqs(stack.sqsUrl, { region: stack.region, maxAttempts: 3 });
  try {
    const bodies = new Map<string, Json>();
    for (let round = 0; round < 10; round += 1) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
        }),
      );
      if (Messages.length === 0) break;
      for (const message of Messages) bodies.set(message.MessageId ?? '', JSON.parse(message.Body ?? 'null'));
    }
    return [...bodies.values()];
  } finally {
    sqs.destroy();
  }
}

/** A server of the stack as its control API reports it (`local/control-server.ts`). */
export interface ServerState {
  name: string;
  url: string;
  pid: number | undefined;
  state: 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';
  starts: number;
}

async function control<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const response = await fetch(`${localStack().controlUrl}${path}`, { method });
  if (!response.ok)
    throw new Error(`control API ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The stack's servers: `opensearch`, `dynamodb`, `kinesis`, `sqs`. */
export function servers(): Promise<Record<string, ServerState>> {
  return control('GET', '/services');
}

/** Sends `signal` to a server's process group (SIGKILL crashes it, SIGSTOP/SIGCONT pause and resume it). */
export function signalServer(name: string, signal: NodeJS.Signals): Promise<{ pid: number }> {
  return control('POST', `/services/${name}/signal?signal=${signal}`);
}

/** Sends `signal` to a function's execution environments (only the busy ones with `busyOnly`). */
export function signalFunction(
  id: string,
  signal: NodeJS.Signals,
  busyOnly = false,
): Promise<{ pids: number[] }> {
  return control('POST', `/functions/${id}/signal?signal=${signal}${busyOnly ? '&state=busy' : ''}`);
}

/** The execution environments of each function. */
export function functionEnvironments(): Promise<
  Record<string, { queued: number; environments: { pid: number; state: string; invocations: number }[] }>
> {
  return control('GET', '/functions');
}

/** Stats of each event source mapping, by function id (checkpoints, iterator age, retries, discards). */
export function mappingStats(): Promise<Record<string, Json>> {
  return control('GET', '/mappings');
}
