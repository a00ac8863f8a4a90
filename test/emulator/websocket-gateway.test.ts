import { request as httpRequest } from 'node:http';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES } from '../../local/gateway/websocket-api.js';
import { startWebSocketGateway, type WebSocketGateway } from '../../local/gateway/websocket-gateway.js';
import { type FakeFunction, FunctionError, fakeFunction } from './fixtures/fake-function.js';

const routes = [
  { routeKey: '$connect', functionId: 'ws-connect' },
  { routeKey: '$disconnect', functionId: 'ws-disconnect' },
  { routeKey: '$default', functionId: 'ws-default' },
] as const;

interface Given {
  gateway: WebSocketGateway;
  /** The gateway's own log lines. */
  log: string[];
  connect: FakeFunction;
  disconnect: FakeFunction;
  message: FakeFunction;
  management: ApiGatewayManagementApiClient;
}

const opened: WebSocket[] = [];
let current: Given | undefined;

afterEach(async () => {
  for (const socket of opened.splice(0)) socket.terminate();
  current?.management.destroy();
  await current?.gateway.close();
  current = undefined;
});

async function given(
  onConnect: (event: unknown) => unknown = () => ({ statusCode: 200 }),
  onMessage: (event: unknown) => unknown = () => ({ statusCode: 200 }),
  sendRouteResponses = false,
  limits: { maxConnectionMs?: number } = {},
): Promise<Given> {
  const functions = {
    'ws-connect': fakeFunction('ws-connect', onConnect),
    'ws-disconnect': fakeFunction('ws-disconnect', () => ({ statusCode: 200 })),
    'ws-default': fakeFunction('ws-default', onMessage),
  };
  const log: string[] = [];
  const gateway = await startWebSocketGateway({
    port: 0,
    routes: [...routes],
    functions,
    stage: 'prod',
    sendRouteResponses,
    ...limits,
    log: (line) => log.push(line),
  });
  const management = new ApiGatewayManagementApiClient({
    endpoint: gateway.managementEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
  current = {
    gateway,
    log,
    connect: functions['ws-connect'],
    disconnect: functions['ws-disconnect'],
    message: functions['ws-default'],
    management,
  };
  return current;
}

/** Opens a client socket; resolves on open, rejects with the HTTP status of a refused upgrade. */
function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { 'User-Agent': 'ws-test' } });
    opened.push(socket);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
}

async function eventually(assertion: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

const connectionIdOf = (fn: FakeFunction, index = 0) =>
  (fn.events[index] as APIGatewayProxyWebsocketEventV2).requestContext.connectionId;

describe('startWebSocketGateway', () => {
  it('invokes $connect with the connection, headers and query string, and accepts on 2xx', async () => {
    // Prepare
    const { gateway, connect } = await given();

    // Act
    const socket = await open(`${gateway.url}/prod?token=secret`);

    // Assess
    expect(socket.readyState).toBe(WebSocket.OPEN);
    const event = connect.events[0] as Record<string, unknown> & APIGatewayProxyWebsocketEventV2;
    expect(event).toMatchObject({
      queryStringParameters: { token: 'secret' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        stage: 'prod',
        identity: { sourceIp: '127.0.0.1', userAgent: 'ws-test' },
      },
    });
    expect(event.requestContext.connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect((event.headers as Record<string, string>)['User-Agent']).toBe('ws-test');
  });

  it.each([
    [401, () => ({ statusCode: 401 })],
    [500, () => Promise.reject(new Error('connect failed'))],
  ])('refuses the upgrade with %i when $connect says no', async (status, onConnect) => {
    // Prepare
    const { gateway } = await given(onConnect);

    // Act
    const opening = open(gateway.url);

    // Assess
    await expect(opening).rejects.toThrow(`HTTP ${status}`);
  });

  it('routes messages to $default and, with route responses, sends the body back', async () => {
    // Prepare
    const { gateway, message } = await given(undefined, () => ({ statusCode: 200, body: 'pong' }), true);
    const socket = await open(gateway.url);

    // Act
    const reply = nextMessage(socket);
    socket.send('{"action":"ping"}');

    // Assess
    expect(await reply).toBe('pong');
    expect(message.events[0]).toMatchObject({
      body: '{"action":"ping"}',
      isBase64Encoded: false,
      requestContext: { routeKey: '$default', eventType: 'MESSAGE' },
    });
  });

  it('tells the client when $default fails, as API Gateway does', async () => {
    // Prepare
    const { gateway } = await given(undefined, () => Promise.reject(new Error('nope')));
    const socket = await open(gateway.url);

    // Act
    const reply = nextMessage(socket);
    socket.send('hello');

    // Assess
    expect(JSON.parse(await reply)).toMatchObject({ message: 'Internal server error' });
  });

  it("runs one connection's messages through $default one at a time, in the order they came", async () => {
    // Prepare: a $default that takes a while
    let inFlight = 0;
    let peak = 0;
    const { gateway, message } = await given(undefined, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight -= 1;
      return { statusCode: 200 };
    });
    const socket = await open(gateway.url);

    // Act
    for (let index = 0; index < 10; index += 1) socket.send(String(index));

    // Assess
    await eventually(() => expect(message.events).toHaveLength(10));
    expect(peak).toBe(1);
    expect(message.events.map((event) => (event as { body: string }).body)).toEqual(
      Array.from({ length: 10 }, (_, index) => String(index)),
    );
  });

  it('never runs the waiting messages of a connection once it is closed', async () => {
    // Prepare: a $default whose first invocation closes the connection through @connections
    let management: ApiGatewayManagementApiClient | undefined;
    const { gateway, message, ...rest } = await given(undefined, async (event) => {
      const { connectionId } = (event as APIGatewayProxyWebsocketEventV2).requestContext;
      await management
        ?.send(new DeleteConnectionCommand({ ConnectionId: connectionId }))
        .catch(() => undefined);
      return { statusCode: 200 };
    });
    management = rest.management;
    const socket = await open(gateway.url);
    const closed = new Promise((resolve) => socket.once('close', resolve));

    // Act
    for (let index = 0; index < 50; index += 1) socket.send(String(index));
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess: the first message closed it; the others that waited behind it never ran
    expect(message.events.length).toBeLessThanOrEqual(2);
  });

  it('answers Too Many Requests to a message past the 100 a connection may have waiting', async () => {
    // Prepare: a $default that does not answer until released
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { gateway, message } = await given(undefined, async () => {
      await held;
      return { statusCode: 200 };
    });
    const socket = await open(gateway.url);
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(data.toString()));

    // Act: one message runs, 100 wait, 49 are over
    for (let index = 0; index < 150; index += 1) socket.send(String(index));
    await eventually(() => expect(replies).toHaveLength(49));
    release();

    // Assess
    expect(JSON.parse(replies[0] as string)).toMatchObject({ message: 'Too Many Requests' });
    await eventually(() => expect(message.events).toHaveLength(101));
  });

  it('closes a connection that floods messages without reading what it is answered', async () => {
    // Prepare: a $default that does not answer, and a client that stops reading
    const { gateway, disconnect } = await given(undefined, () => new Promise(() => undefined));
    const socket = await open(gateway.url);
    socket.pause();

    // Act: far more refusals than the kernel's socket buffers and the gateway's bound hold together
    for (let index = 0; index < 150_000; index += 1) socket.send('1');

    // Assess: the gateway does not keep buffering answers for it
    await eventually(() => expect(disconnect.events).toHaveLength(1), 20_000);
  });

  it('closes a connection at its maximum duration, however active, and invokes $disconnect', async () => {
    // Prepare: API Gateway ends every connection after 2 hours; here after 300 ms
    const { gateway, disconnect } = await given(undefined, undefined, false, { maxConnectionMs: 300 });
    const socket = await open(gateway.url);
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));

    // Act: the client stays active
    const pinging = setInterval(() => socket.send('{"action":"ping"}'), 50);
    const code = await closed;
    clearInterval(pinging);

    // Assess
    expect(code).toBe(1001);
    await eventually(() => expect(disconnect.events).toHaveLength(1));
  });

  it('invokes $disconnect when the client closes', async () => {
    // Prepare
    const { gateway, connect, disconnect } = await given();
    const socket = await open(gateway.url);

    // Act
    socket.close(1000, 'bye');

    // Assess
    await eventually(() => expect(disconnect.events).toHaveLength(1));
    expect(disconnect.events[0]).toMatchObject({
      requestContext: {
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        connectionId: connectionIdOf(connect),
        disconnectStatusCode: 1000,
      },
    });
  });

  it('invokes $disconnect for a connection $connect accepted whose handshake then failed', async () => {
    // Prepare: a $connect that accepts, and an upgrade request whose Sec-WebSocket-Key is invalid
    const { gateway, connect, disconnect } = await given();
    const { hostname, port } = new URL(gateway.url);

    // Act
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest({
        host: hostname,
        port,
        path: '/prod?token=t',
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'not-a-key',
        },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('upgrade', () => resolve(101));
      request.on('error', reject);
      request.end();
    });

    // Assess: the backend recorded a connection that never opened; it is told it ended
    expect(status).toBe(400);
    await eventually(() => expect(disconnect.events).toHaveLength(1));
    expect(disconnect.events[0]).toMatchObject({
      requestContext: { routeKey: '$disconnect', connectionId: connectionIdOf(connect) },
    });
  });

  it('invokes $disconnect for a connection whose client left while $connect ran', async () => {
    // Prepare: a $connect that accepts after the client is gone
    let leave: () => void = () => undefined;
    const clientLeft = new Promise<void>((resolve) => {
      leave = resolve;
    });
    const { gateway, connect, disconnect } = await given(async () => {
      leave();
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { statusCode: 200 };
    });
    const socket = new WebSocket(gateway.url);
    opened.push(socket);
    socket.on('error', () => undefined);

    // Act
    await clientLeft;
    socket.terminate();

    // Assess
    await eventually(() => expect(disconnect.events).toHaveLength(1));
    expect(disconnect.events[0]).toMatchObject({
      requestContext: { routeKey: '$disconnect', connectionId: connectionIdOf(connect) },
    });
  });

  describe('@connections through ApiGatewayManagementApiClient', () => {
    it('posts data to the connection', async () => {
      // Prepare
      const { gateway, connect, management } = await given();
      const socket = await open(gateway.url);
      const received = nextMessage(socket);

      // Act
      await management.send(
        new PostToConnectionCommand({ ConnectionId: connectionIdOf(connect), Data: Buffer.from('{"n":1}') }),
      );

      // Assess
      expect(await received).toBe('{"n":1}');
    });

    it('describes the connection', async () => {
      // Prepare
      const { gateway, connect, management } = await given();
      await open(gateway.url);

      // Act
      const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionIdOf(connect) }));

      // Assess
      expect(info.ConnectedAt).toBeInstanceOf(Date);
      expect(info.LastActiveAt).toBeInstanceOf(Date);
      expect(info.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'ws-test' });
    });

    it('closes the connection on delete, after which posts are Gone', async () => {
      // Prepare
      const { gateway, connect, disconnect, management } = await given();
      const socket = await open(gateway.url);
      const closed = new Promise((resolve) => socket.once('close', resolve));
      const connectionId = connectionIdOf(connect);

      // Act
      await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      await closed;
      const posting = management.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('x') }),
      );

      // Assess
      await expect(posting).rejects.toBeInstanceOf(GoneException);
      await eventually(() => expect(disconnect.events).toHaveLength(1));
    });

    it('closes a connection whose client stops reading, and answers its posts Gone (410)', async () => {
      // Prepare
      const { gateway, connect, disconnect, management } = await given();
      const socket = await open(gateway.url);
      socket.pause();
      const message = Buffer.alloc(MAX_MESSAGE_BYTES - 1024, 'x');
      const post = () =>
        management.send(
          new PostToConnectionCommand({ ConnectionId: connectionIdOf(connect), Data: message }),
        );

      // Act: far more than the kernel's socket buffers and the gateway's bound together.
      let posted = 0;
      let refusal: unknown;
      for (; posted < 400 && refusal === undefined; posted += 1)
        await post().catch((error) => (refusal = error));

      // Assess
      expect(refusal).toBeInstanceOf(GoneException);
      expect(posted).toBeLessThan(400);
      await expect(post()).rejects.toBeInstanceOf(GoneException);
      await eventually(() => expect(disconnect.events).toHaveLength(1));
    });

    it('answers GoneException (410) for an unknown connection', async () => {
      // Prepare
      const { management } = await given();

      // Act
      const posting = management.send(
        new PostToConnectionCommand({ ConnectionId: 'bm90LWEtY29ubg=', Data: Buffer.from('x') }),
      );

      // Assess
      await expect(posting).rejects.toSatisfy(
        (error: unknown) => error instanceof GoneException && error.$metadata.httpStatusCode === 410,
      );
    });

    it('refuses data over 128 KB with PayloadTooLargeException', async () => {
      // Prepare
      const { gateway, connect, management } = await given();
      await open(gateway.url);

      // Act
      const posting = management.send(
        new PostToConnectionCommand({
          ConnectionId: connectionIdOf(connect),
          Data: Buffer.alloc(128 * 1024 + 1, 97),
        }),
      );

      // Assess
      await expect(posting).rejects.toBeInstanceOf(PayloadTooLargeException);
    });

    it('answers 400 to a connection id with malformed percent-encoding, never 500', async () => {
      // Prepare
      const { gateway } = await given();

      // Act
      const response = await fetch(`${gateway.managementEndpoint}/@connections/%zz`, {
        method: 'POST',
        body: 'x',
      });

      // Assess
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    });
  });

  it('logs a failed $connect in its own log', async () => {
    // Prepare
    const { gateway, log } = await given(() => Promise.reject(new FunctionError('Error', 'table missing')));

    // Act
    const refused = open(gateway.url);

    // Assess
    await expect(refused).rejects.toThrow(/500/);
    expect(log).toContain('$connect failed: Error: table missing');
  });
});
