/**
 * The WebSocket side of the local WebSocket API: an upgrade request runs `$connect`, whose result
 * accepts or refuses it; each message frame runs `$default`; a closed socket runs `$disconnect`.
 * Messages over API Gateway's 128 KB quota close the connection (1009), as `ws` does with `maxPayload`.
 * A connection's messages run `$default` one at a time, in order (`websocket-inbox.ts`).
 * A connection `$connect` accepted whose handshake never completes (the client left meanwhile, or its
 * upgrade request was malformed) gets its `$disconnect` too: the backend recorded it.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { FunctionId } from '../../lib/topology.js';
import type { LocalFunction } from '../runtime/function-host.js';
import { headerMaps, queryMaps, sourceIp } from './http-event.js';
import {
  type Connection,
  type ConnectionIdentity,
  type ConnectionRegistry,
  newConnectionId,
} from './websocket-connections.js';
import {
  type ApiContext,
  connectEvent,
  connectVerdict,
  disconnectEvent,
  messageEvent,
} from './websocket-events.js';
import { ConnectionInbox } from './websocket-inbox.js';
import { rejectUpgrade } from './websocket-responses.js';

/** API Gateway's WebSocket message payload quota, for messages in and `@connections` posts out. */
export const MAX_MESSAGE_BYTES = 128 * 1024;

/** Bytes a connection may have waiting for its client to read: eight of the largest messages. */
export const MAX_UNSENT_BYTES = 8 * MAX_MESSAGE_BYTES;

/** Messages one connection may have waiting for `$default` (`websocket-inbox.ts`). */
export const MAX_WAITING_MESSAGES = 100;

export type WebSocketRouteKey = '$connect' | '$disconnect' | '$default';

export interface WebSocketApiOptions {
  api: ApiContext;
  host: string;
  routes: { routeKey: WebSocketRouteKey; functionId: FunctionId }[];
  functions: Partial<Record<FunctionId, LocalFunction>>;
  connections: ConnectionRegistry;
  /** Send a `$default` result's `body` back to the client, as a route with a route response does. */
  sendRouteResponses: boolean;
  log: (line: string) => void;
}

export class WebSocketApi {
  readonly #server: WebSocketServer;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Subprotocol `$connect` chose for a pending upgrade (its `Sec-WebSocket-Protocol` response header). */
  readonly #chosenProtocol = new WeakMap<IncomingMessage, string>();

  constructor(private readonly options: WebSocketApiOptions) {
    this.#server = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      handleProtocols: (_protocols, request) => this.#chosenProtocol.get(request) ?? false,
    });
  }

  /** Handles an HTTP upgrade request on `/` or `/<stage>`. */
  async upgrade(request: IncomingMessage, url: URL, socket: Socket, head: Buffer): Promise<void> {
    const { api, log } = this.options;
    if (url.pathname !== '/' && url.pathname !== `/${api.stage}` && url.pathname !== `/${api.stage}/`) {
      rejectUpgrade(socket, 403, { message: 'Forbidden' });
      return;
    }
    const identity = {
      id: newConnectionId(),
      connectedAt: new Date(),
      sourceIp: sourceIp(request),
      userAgent: request.headers['user-agent'],
      domainName: request.headers.host ?? this.options.host,
      ...headerMaps(request),
    };
    const connectFunction = this.functionFor('$connect');
    if (connectFunction) {
      const result = await this.track(
        connectFunction.invoke(connectEvent(api, identity, queryMaps(url.searchParams))),
      );
      const verdict = connectVerdict(result);
      if (verdict.statusCode < 200 || verdict.statusCode > 299) {
        if (result.status === 'error') log(`$connect failed: ${result.errorType}: ${result.errorMessage}`);
        rejectUpgrade(socket, verdict.statusCode, verdict.body);
        return;
      }
      if (verdict.protocol) this.#chosenProtocol.set(request, verdict.protocol);
    }
    let established = false;
    if (!socket.destroyed) {
      this.#server.handleUpgrade(request, socket, head, (ws) => {
        established = true;
        this.#established(identity, ws);
      });
    }
    // `$connect` recorded a connection that never opened (the client left while it ran, or its
    // handshake was invalid): without `$disconnect` the backend would hold it, and its place under the
    // account's connection limit, until it expires. `handleUpgrade` calls back synchronously or never.
    if (connectFunction && !established) {
      void this.track(this.#disconnect(identity, 1006, 'the WebSocket handshake did not complete'));
    }
  }

  /** A connection whose handshake completed: its messages run `$default`, its close `$disconnect`. */
  #established(identity: ConnectionIdentity, ws: WebSocket): void {
    const { log } = this.options;
    const connection = this.options.connections.add(identity, ws);
    const inbox = new ConnectionInbox<{ data: RawData; isBinary: boolean }>(
      // A connection closing (by the server, say) routes nothing more, even before its close completes.
      async ({ data, isBinary }) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        await this.onMessage(connection, data, isBinary).catch((error: Error) =>
          log(`$default of ${connection.id} failed: ${error.message}`),
        );
      },
      MAX_WAITING_MESSAGES,
      (run) => void this.track(run),
    );
    ws.on('message', (data, isBinary) => {
      this.options.connections.touch(connection);
      if (inbox.offer({ data, isBinary }) !== 'full') return;
      // A client that floods without reading its answers would make the gateway hold them all.
      if (ws.bufferedAmount > MAX_UNSENT_BYTES) ws.terminate();
      else ws.send(JSON.stringify({ message: 'Too Many Requests', connectionId: connection.id }));
    });
    ws.on('close', (code, reason) => {
      inbox.close();
      this.options.connections.remove(connection);
      void this.track(this.#disconnect(connection, code, reason.toString()));
    });
    ws.on('error', (error) => log(`${connection.id}: ${error.message}`));
  }

  /** Closes every connection, lets their `$disconnect` invocations run (at most 5 s), then stops. */
  async close(): Promise<void> {
    for (const connection of this.options.connections.all()) connection.socket.close(1001, 'Going away');
    // Let the $disconnect invocations of the closed sockets start, without waiting forever on them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight]),
      new Promise((resolve) => {
        giveUp = setTimeout(resolve, 5000);
      }),
    ]);
    // A pending timer would keep the caller's process alive for the rest of the 5 s.
    clearTimeout(giveUp);
    for (const client of this.#server.clients) client.terminate();
    this.#server.close();
  }

  private async onMessage(connection: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const fn = this.functionFor('$default');
    if (!fn) return;
    const payload = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const event = messageEvent(this.options.api, connection, payload, isBinary);
    const result = await fn.invoke(event);
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    if (result.status === 'error') {
      this.options.log(`$default failed: ${result.errorType}: ${result.errorMessage}`);
      // What API Gateway sends the client when the integration fails.
      connection.socket.send(
        JSON.stringify({
          message: 'Internal server error',
          connectionId: connection.id,
          requestId: event.requestContext.requestId,
        }),
      );
      return;
    }
    const body = (result.payload as { body?: unknown } | null)?.body;
    if (this.options.sendRouteResponses && typeof body === 'string') connection.socket.send(body);
  }

  async #disconnect(connection: ConnectionIdentity, code: number, reason: string): Promise<void> {
    const fn = this.functionFor('$disconnect');
    if (!fn) return;
    // Best effort, as on AWS: the client is gone whatever the function answers.
    const result = await fn.invoke(disconnectEvent(this.options.api, connection, code, reason));
    if (result.status === 'error') {
      this.options.log(`$disconnect failed: ${result.errorType}: ${result.errorMessage}`);
    }
  }

  private functionFor(routeKey: WebSocketRouteKey): LocalFunction | undefined {
    const route = this.options.routes.find((candidate) => candidate.routeKey === routeKey);
    return route ? this.options.functions[route.functionId] : undefined;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise));
    return promise;
  }
}
