/**
 * The slice of the OpenSearch client the indexer uses (the real client satisfies it; unit tests pass an
 * in-memory fake). What a `_bulk` item's status means is `opensearch-errors.ts`'s.
 */

/** One item of a `_bulk` response (the part the indexer reads). */
export interface BulkResponseItem {
  status: number;
  error?: { type?: string; reason?: string | null } | null;
}

export interface BulkResponseBody {
  errors: boolean;
  items: Array<Partial<Record<'create' | 'index' | 'update' | 'delete', BulkResponseItem>>>;
}

/** One document asked for in a `_mget`. */
export interface MgetDoc {
  _index: string;
  _id: string;
  _source?: string[];
}

/** One document of a `_mget` response: found, not found, or an error (e.g. its index does not exist). */
export interface MgetResponseDoc {
  _index: string;
  _id: string;
  found?: boolean;
  _source?: Record<string, unknown>;
  error?: { type?: string; reason?: string | null } | null;
}

export interface MgetResponseBody {
  docs: MgetResponseDoc[];
}

export interface RequestOptions {
  requestTimeout?: number;
  maxRetries?: number;
}

export interface SearchApi {
  bulk(
    params: { body: Record<string, unknown>[] },
    options?: RequestOptions,
  ): Promise<{ body: BulkResponseBody }>;
  /** Realtime by default: sees a document as soon as it is written, refreshed or not. */
  mget(params: { body: { docs: MgetDoc[] } }, options?: RequestOptions): Promise<{ body: MgetResponseBody }>;
  indices: {
    delete(
      params: { index: string[]; ignore_unavailable?: boolean },
      options?: RequestOptions,
    ): Promise<unknown>;
  };
}
