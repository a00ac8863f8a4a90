import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../cli/target.js';
import { CLIENT_SETTINGS, clientConfig } from '../../lambdas/shared/clients.js';
import { localSqs } from '../../local/services/local-clients.js';

/** A server that accepts connections and reads requests but never answers: a hung emulator or a black hole. */
const sockets = new Set<Socket>();
const silent = createServer((socket) => {
  sockets.add(socket);
  socket.resume();
});
let port = 0;

beforeAll(async () => {
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  silent.close();
});

describe("the operator tools' SDK clients against a server that never answers", () => {
  it('fail the request once the request timeout runs out, instead of waiting for ever', async () => {
    const sqs = new SQSClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: httpHandler(300),
      maxAttempts: 1,
    });
    const started = Date.now();

    const outcome = await Promise.race([
      sqs.send(new ListQueuesCommand({})).then(
        () => 'answered',
        (error: Error) => error.name,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
    ]);

    expect(outcome).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(3_000);
    sqs.destroy();
  });
});

describe("the functions' and the local stack's SDK clients against a server that never answers", () => {
  it('fail the request once the request timeout runs out, instead of holding the function until its own', async () => {
    const clients = [
      new SQSClient({
        ...clientConfig(),
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      }),
      localSqs(`http://127.0.0.1:${port}`),
    ];
    const started = Date.now();

    const outcomes = await Promise.all(
      clients.map((sqs) =>
        Promise.race([
          sqs.send(new ListQueuesCommand({})).then(
            () => 'answered',
            (error: Error) => error.name,
          ),
          new Promise((resolve) => setTimeout(() => resolve('still waiting after 15 s'), 15_000)),
        ]),
      ),
    );

    expect(outcomes).toEqual(['TimeoutError', 'TimeoutError']);
    // The functions' clients give up after CLIENT_SETTINGS.requestTimeoutMs, the local stack's after 10 s.
    expect(Date.now() - started).toBeLessThan(10_000 + CLIENT_SETTINGS.requestTimeoutMs);
    for (const sqs of clients) sqs.destroy();
  }, 20_000);
});
