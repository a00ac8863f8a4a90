/**
 * The slice of the OpenSearch client the indexer uses (the real client satisfies it; unit tests pass an
 * in-memory fake), and the one reading of a `_bulk` item's status.
 */
import { boundedText } from '../shared/error-summary.js';

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

/** Longest reason kept for a dead letter. */
const MAX_REASON_LENGTH = 1000;

/** What one `create` in a `_bulk` came to. */
export type CreateOutcome =
  | { kind: 'created' }
  | { kind: 'exists' }
  | { kind: 'transient'; reason: string }
  | { kind: 'permanent'; reason: string };

/**
 * 200/201 created; 409 on `create` with a deterministic id means an earlier write made it; 429 and 5xx
 * are transient; any other error is about the document itself and will fail the same way again.
 * `reason` is cut: OpenSearch quotes the document in mapping errors, and the document travels apart.
 */
export function createOutcome(result: BulkResponseItem | undefined): CreateOutcome {
  if (!result) return { kind: 'transient', reason: 'no result for this item in the bulk response' };
  const { status } = result;
  if (status === 200 || status === 201) return { kind: 'created' };
  if (status === 409) return { kind: 'exists' };
  const reason = boundedText(
    `${status} ${result.error?.type ?? 'error'}: ${result.error?.reason ?? 'no reason given'}`,
    MAX_REASON_LENGTH,
  );
  return status === 429 || status >= 500 ? { kind: 'transient', reason } : { kind: 'permanent', reason };
}
