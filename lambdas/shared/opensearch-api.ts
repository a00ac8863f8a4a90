/**
 * The OpenSearch client of the functions: the library's own transport (connection pool, retries, SigV4
 * signing) and the library's own API functions, but only the APIs the functions call, with a
 * serializer that leaves out the long-numeral support (`opensearch-serializer.ts`).
 * The library's `Client` binds every API OpenSearch has, about 250 KB of each bundle for the eight
 * the functions use; this one adds about 35 KB. Its methods are typed as the full client's, and each is
 * the library's function for that API, so it behaves exactly like `Client` for them.
 */
import { EventEmitter } from 'node:events';
import type { Client } from '@opensearch-project/opensearch';
import bulk from '@opensearch-project/opensearch/api/_core/bulk.js';
import count from '@opensearch-project/opensearch/api/_core/count.js';
import createPit from '@opensearch-project/opensearch/api/_core/createPit.js';
import deletePit from '@opensearch-project/opensearch/api/_core/deletePit.js';
import mget from '@opensearch-project/opensearch/api/_core/mget.js';
import search from '@opensearch-project/opensearch/api/_core/search.js';
import clusterHealth from '@opensearch-project/opensearch/api/cluster/health.js';
// @ts-expect-error api/http/put.js ships no declarations.
import httpPut from '@opensearch-project/opensearch/api/http/put.js';
import indicesDelete from '@opensearch-project/opensearch/api/indices/delete.js';
// @ts-expect-error api/utils.js ships no declarations; it exports the symbol below.
import apiUtils from '@opensearch-project/opensearch/api/utils.js';
import ConnectionModule from '@opensearch-project/opensearch/lib/Connection.js';
import { ConfigurationError } from '@opensearch-project/opensearch/lib/errors.js';
import { ConnectionPool } from '@opensearch-project/opensearch/lib/pool/index.js';
import TransportModule from '@opensearch-project/opensearch/lib/Transport.js';
import type { OpenSearchConfig } from './config.js';
import { openSearchConnection } from './opensearch-connection.js';
import { LeanSerializer } from './opensearch-serializer.js';

// The library's CommonJS modules export their function or class itself (`module.exports = X`), while
// its declarations say `export default X`; these casts state what the modules are at runtime.
type Class<T extends abstract new (...args: never[]) => unknown> = T;
const Transport = TransportModule as unknown as Class<typeof TransportModule.default>;
const Connection = ConnectionModule as unknown as Class<typeof ConnectionModule.default>;
const kConfigErr = (apiUtils as { kConfigErr: symbol }).kConfigErr;

/** The APIs the functions call, with the full client's types. */
export type OpenSearchApi = Pick<
  Client,
  'bulk' | 'mget' | 'search' | 'count' | 'createPit' | 'deletePit' | 'close'
> & {
  cluster: Pick<Client['cluster'], 'health'>;
  indices: Pick<Client['indices'], 'delete'>;
  http: Pick<Client['http'], 'put'>;
};

let api: OpenSearchApi | undefined;

/** The process's OpenSearch client for functions. */
export function openSearchApi(config: OpenSearchConfig): OpenSearchApi {
  api ??= createApi(config);
  return api;
}

function createApi(config: OpenSearchConfig): OpenSearchApi {
  const options = openSearchConnection(config);
  const events = new EventEmitter();
  const emit = events.emit.bind(events);
  const connectionPool = new ConnectionPool({
    Connection: options.Connection ?? Connection,
    emit,
    sniffEnabled: false,
  });
  connectionPool.addConnection(options.node as string);
  const TransportClass = options.Transport ?? Transport;
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
  // What the API functions read through `this`: the transport, and the error of a missing parameter.
  const self = { transport, [kConfigErr]: ConfigurationError };
  const bind = (fn: unknown) => (fn as (...args: unknown[]) => unknown).bind(self);
  return {
    bulk: bind(bulk),
    mget: bind(mget),
    search: bind(search),
    count: bind(count),
    createPit: bind(createPit),
    deletePit: bind(deletePit),
    cluster: { health: bind(clusterHealth) },
    indices: { delete: bind(indicesDelete) },
    http: { put: bind(httpPut) },
    close: () => connectionPool.empty(),
  } as unknown as OpenSearchApi;
}
