/**
 * The connections of the local WebSocket API: who is connected, since when, last active when, and the
 * limits API Gateway enforces (10 minutes without traffic, or 2 hours in all, close a connection). Shared by the
 * WebSocket side (which adds and removes them) and the `@connections` API (which looks them up).
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';

/** What a `$connect` learns about a client before the upgrade is accepted. */
export interface ConnectionIdentity {
  id: string;
  connectedAt: Date;
  sourceIp: string;
  userAgent: string | undefined;
  domainName: string;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
}

export interface Connection extends ConnectionIdentity {
  socket: WebSocket;
  lastActiveAt: Date;
}

export class ConnectionRegistry {
  readonly #connections = new Map<string, Connection>();
  readonly #idleTimers = new Map<string, NodeJS.Timeout>();
  readonly #endTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly idleTimeoutMs: number,
    /**
     * API Gateway ends every connection after this long, however active: the backend's connection
     * items and leases expire then, so a connection kept longer would get no events and hold no place.
     */
    private readonly maxConnectionMs: number,
  ) {}

  add(identity: ConnectionIdentity, socket: WebSocket): Connection {
    const connection: Connection = { ...identity, socket, lastActiveAt: new Date() };
    this.#connections.set(connection.id, connection);
    this.touch(connection);
    const end = setTimeout(() => socket.close(1001, 'Going away'), this.maxConnectionMs);
    end.unref();
    this.#endTimers.set(connection.id, end);
    return connection;
  }

  /** Traffic on the connection: it is active now, and the idle timeout starts again. */
  touch(connection: Connection): void {
    connection.lastActiveAt = new Date();
    clearTimeout(this.#idleTimers.get(connection.id));
    const timer = setTimeout(() => connection.socket.close(1001, 'Going away'), this.idleTimeoutMs);
    timer.unref();
    this.#idleTimers.set(connection.id, timer);
  }

  remove(connection: Connection): void {
    clearTimeout(this.#idleTimers.get(connection.id));
    this.#idleTimers.delete(connection.id);
    clearTimeout(this.#endTimers.get(connection.id));
    this.#endTimers.delete(connection.id);
    this.#connections.delete(connection.id);
  }

  /** The connection with this id if its socket is still open. */
  open(id: string): Connection | undefined {
    const connection = this.#connections.get(id);
    return connection && connection.socket.readyState === WebSocket.OPEN ? connection : undefined;
  }

  all(): Connection[] {
    return [...this.#connections.values()];
  }
}

/**
 * A connection id in API Gateway's form: 16 characters of base64, e.g. `L0SM9cOFvHcCIhw=`. It may
 * contain `/` and `+`, so callers must URL-encode it in `@connections` paths, as the SDK does.
 */
export function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}
