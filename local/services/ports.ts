/**
 * TCP ports for the local stack's servers: a free one for tests, and a clear error before a server is
 * spawned on a port that is already taken.
 */
import { createServer } from 'node:net';
import { ServiceStartError } from './service-handle.js';

/** Asks the OS for a free TCP port (listen on 0, read it, close). For tests that need random ports. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() =>
        port ? resolve(port) : reject(new Error('could not read the port of a probe socket')),
      );
    });
  });
}

/**
 * Fails with a clear message when `port` is taken, before a server is spawned: otherwise the server dies
 * with a bind error deep in its log, or worse, the health check talks to whatever already listens there.
 */
export async function assertPortFree(name: string, port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new ServiceStartError(
            `${name}: port ${port} on ${host} is already in use. Another local stack may be running ` +
              `(find it with: ss -ltnp 'sport = :${port}'), or pick another port.`,
          ),
        );
      } else {
        reject(new ServiceStartError(`${name}: cannot bind ${host}:${port}: ${error.message}`));
      }
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}
