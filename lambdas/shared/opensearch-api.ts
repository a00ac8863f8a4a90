/**
 * The OpenSearch client of the functions: the library's own transport (connection pool, retries, SigV4
 * signing) and the library's own API functions, but only the APIs a function calls, with a serializer
 * that leaves out the long-numeral support (`opensearch-serializer.ts`).
 * The library's `Client` binds every API OpenSearch has, about 250 KB of each bundle for the few a
 * function uses; here each handler passes the library's functions for the APIs it calls (the library's
 * API modules are CommonJS, so one imported here would be in every bundle, called or not). Their
 * methods are typed as the full client's, and each is the library's function for that API, so it
 * behaves exactly like `Client` for them.
 */
import { EventEmitter } from 'node:events';
import type { Client } from '@opensearch-project/opensearch';
// @ts-expect-error api/utils.js ships no declarations; it exports the symbol below.
import apiUtils from '@opensearch-project/opensearch/api/utils.js';
import ConnectionModule from '@opensearch-project/opensearch/lib/Connection.js';
import { ConfigurationError } from '@opensearch-project/opensearch/lib/errors.js';
// @ts-expect-error lib/pool/ConnectionPool.js ships no declarations (lib/pool/index.js, typed, also loads the cloud pool).
import ConnectionPoolModule from '@opensearch-project/opensearch/lib/pool/ConnectionPool.js';
import type { ConnectionPool as ConnectionPoolClass } from '@opensearch-project/opensearch/lib/pool/index.js';
import TransportModule from '@opensearch-project/opensearch/lib/Transport.js';
import type { OpenSearchConfig } from './config.js';
import { openSearchConnection } from './opensearch-connection.js';
import { LeanSerializer } from './opensearch-serializer.js';

// The library's CommonJS modules export their function or class itself (`module.exports = X`), while
// its declarations say `export default X`; these casts state what the modules are at runtime.
type Class<T extends abstract new (...args: never[]) => unknown> = T;
const TransportConstructor = TransportModule as unknown as Class<typeof TransportModule.default>;
const Connection = ConnectionModule as unknown as Class<typeof ConnectionModule.default>;
const ConnectionPool = ConnectionPoolModule as Class<typeof ConnectionPoolClass>;
const kConfigErr = (apiUtils as { kConfigErr: symbol }).kConfigErr;

/** The APIs the functions call, with the full client's types. */
export type OpenSearchApi = Pick<Client, 'bulk' | 'mget' | 'search' | 'count' | 'createPit' | 'deletePit'> & {
  cluster: Pick<Client['cluster'], 'health'>;
  indices: Pick<Client['indices'], 'delete'>;
  http: Pick<Client['http'], 'put'>;
};

/**
 * The library's functions for some of those APIs (the default exports of
 * `@opensearch-project/opensearch/api/<group>/<name>.js`), shaped as the client names them.
 */
export type LibraryApis<K extends keyof OpenSearchApi> = {
  [P in K]: OpenSearchApi[P] extends (...args: never[]) => unknown
    ? unknown
    : { [Q in keyof OpenSearchApi[P]]: unknown };
};

/** What the library's API functions read through `this`: the transport, and the error of a missing parameter. */
let apiThis: object | undefined;

/**
 * The process's OpenSearch client for functions, with the given library functions bound to its one
 * transport: `openSearchApi(config, { search, cluster: { health } })`.
 */
export function openSearchApi<K extends keyof OpenSearchApi>(
  config: OpenSearchConfig,
  apis: LibraryApis<K>,
): Pick<OpenSearchApi, K> {
  apiThis ??= createApiThis(config);
  return bindAll(apis, apiThis) as Pick<OpenSearchApi, K>;
}

function bindAll(apis: object, self: object): object {
  return Object.fromEntries(
    Object.entries(apis).map(([name, api]) => [
      name,
      typeof api === 'function' ? api.bind(self) : bindAll(api as object, self),
    ]),
  );
}

function createApiThis(config: OpenSearchConfig): object {
  const options = openSearchConnection(config);
  const events = new EventEmitter();
  const emit = events.emit.bind(events);
  const connectionPool = new ConnectionPool({
    Connection: options.Connection ?? Connection,
    emit,
    sniffEnabled: false,
  });
  connectionPool.addConnection(options.node as string);
  const TransportClass = options.Transport ?? TransportConstructor;
  // Sniffing, compression and the other `Client` options are left off, as `Client` leaves them by default.
  const transport = new TransportClass({
    emit,
    connectionPool,
    serializer: new LeanSerializer() as unknown as InstanceType<typeof TransportModule.default>['serializer'],
    maxRetries: options.maxRetries ?? 3,
    requestTimeout: options.requestTimeout ?? 30_000,
    sniffEndpoint: '_nodes/_all/http',
    name: 'opensearch-js',
  });
  return { transport, [kConfigErr]: ConfigurationError };
}
