/**
 * What an OpenSearch failure means for the events it concerns: the indexer's classification, in one
 * place (DESIGN.md correctness rule 3, docs/decisions.md "Per event: done, duplicate, permanent,
 * transient").
 *
 * - Errors about the INDEX or the CLUSTER are transient whatever their status: a write block (403
 *   `cluster_block_exception`), a closed index (400 `index_closed_exception`), a missing index, shards
 *   unavailable, a tripped circuit breaker (429), a full write queue (429 `rejected_execution`), a shard
 *   closing under the write, a disk error. So are 429 and 502-5xx items, whatever their type, and a
 *   request that never got an answer (refused, reset, timed out).
 * - Errors about the DOCUMENT are permanent: mapping and parse errors, an illegal argument (a term over
 *   Lucene's 32,766 bytes), a document too large. They fail the same way on every retry.
 * - A request refused as a whole for what it carries (400 invalid request, 413 body too large) is the
 *   fault of some event in it: the skeleton bisects it to find which.
 * - Anything else is unrecognised: permanent when other events of the same request succeeded (the sink
 *   is healthy, so the error is this event's), transient otherwise. The caller applies that rule.
 */
import { boundedText, errorSummary } from '../shared/error-summary.js';
import type { EventOutcome } from '../shared/stream-consumer.js';
import type { BulkResponseItem } from './search-api.js';

/** Longest reason kept for a dead letter: OpenSearch quotes the document in mapping errors. */
const MAX_REASON_LENGTH = 1000;

/** Error types about an index, a shard, a node or the cluster: never the document's fault. */
const INFRASTRUCTURE_TYPES = new Set([
  'cluster_block_exception',
  'index_closed_exception',
  'index_not_found_exception',
  'no_such_index_exception',
  'index_create_block_exception',
  'resource_already_exists_exception',
  'unavailable_shards_exception',
  'no_shard_available_action_exception',
  'shard_not_found_exception',
  'primary_missing_action_exception',
  'illegal_index_shard_state_exception',
  'index_shard_closed_exception',
  'index_shard_not_started_exception',
  'index_shard_recovering_exception',
  'index_shard_relocated_exception',
  'shard_not_in_primary_mode_exception',
  'retry_on_primary_exception',
  // A shard closing or failing under the write (Lucene's AlreadyClosedException), a disk error.
  'already_closed_exception',
  'engine_closed_exception',
  'translog_exception',
  'i_o_exception',
  'circuit_breaking_exception',
  'es_rejected_execution_exception',
  'rejected_execution_exception',
  'process_cluster_event_timeout_exception',
  'cluster_manager_not_discovered_exception',
  'master_not_discovered_exception',
  'node_not_connected_exception',
  'node_disconnected_exception',
  'node_closed_exception',
  'connect_transport_exception',
  'receive_timeout_transport_exception',
  'send_request_transport_exception',
  'timeout_exception',
  'opensearch_timeout_exception',
  'security_exception',
]);

/**
 * The cluster refusing to create an index because its nodes hold `cluster.max_shards_per_node` shards
 * already: a 400 `validation_exception` ("this action would add [1] total shards, but this cluster
 * currently has [1000]/[1000] maximum shards open"). The cluster's capacity, never the event's fault.
 */
const SHARD_LIMIT_REASON = /maximum shards open/;

/**
 * Item statuses from 502 up (bad gateway, unavailable, gateway timeout, insufficient storage) say the
 * node or what stands before it is failing, never the document, whatever the error type: transient even
 * while other items of the same `_bulk` succeed (one shard's node down, a proxy failing part of a
 * request). A 500 says only that an exception had no status of its own, and stays under the
 * unrecognised rule unless its type names the infrastructure.
 */
const UNAVAILABLE_FROM = 502;

/** Error types about the document itself. */
const DOCUMENT_TYPES = new Set([
  'mapper_parsing_exception',
  'strict_dynamic_mapping_exception',
  'document_parsing_exception',
  'illegal_argument_exception',
  'parse_exception',
  'json_parse_exception',
  'x_content_parse_exception',
  'not_x_content_exception',
  'number_format_exception',
  'date_time_parse_exception',
]);

/** Errors of the OpenSearch client (or below it) for a request that got no answer. */
const NO_ANSWER_ERRORS = new Set([
  'ConnectionError',
  'TimeoutError',
  'NoLivingConnectionsError',
  'RequestAbortedError',
  'AbortError',
  // An answer that is not JSON: a proxy's or load balancer's error page.
  'DeserializationError',
]);

/** What one `create` of a `_bulk` came to. `unrecognised`: the caller decides (see the module doc). */
export type ItemOutcome =
  | { kind: 'created' }
  | { kind: 'exists' }
  | EventOutcome
  | { kind: 'unrecognised'; reason: string };

/** Classifies one item of a `_bulk` of `create`s. */
export function classifyBulkItem(result: BulkResponseItem | undefined): ItemOutcome {
  if (!result) return { kind: 'transient', reason: 'no result for this item in the bulk response' };
  const { status } = result;
  if (status === 200 || status === 201) return { kind: 'created' };
  // `create` with a deterministic id: an earlier write of this very event made it.
  if (status === 409) return { kind: 'exists' };
  const type = result.error?.type ?? '';
  const reason = boundedText(
    `${status} ${type || 'error'}: ${result.error?.reason ?? 'no reason given'}`,
    MAX_REASON_LENGTH,
  );
  if (INFRASTRUCTURE_TYPES.has(type) || status === 429 || status >= UNAVAILABLE_FROM)
    return { kind: 'transient', reason };
  if (type === 'validation_exception' && SHARD_LIMIT_REASON.test(result.error?.reason ?? '')) {
    return { kind: 'transient', reason };
  }
  if (status === 413 || /too_large|too_long/.test(type))
    return { kind: 'permanent', reasonCode: 'document-too-large', reason };
  if (DOCUMENT_TYPES.has(type)) return { kind: 'permanent', reasonCode: 'document-rejected', reason };
  return { kind: 'unrecognised', reason };
}

/** Resolves an unrecognised item error by the rule above: `served` = another item of the request succeeded. */
export function resolveUnrecognised(outcome: ItemOutcome, served: boolean): ItemOutcome {
  if (outcome.kind !== 'unrecognised') return outcome;
  return served
    ? { kind: 'permanent', reasonCode: 'unrecognised-error', reason: outcome.reason }
    : { kind: 'transient', reason: outcome.reason };
}

/** What a request that failed as a whole (thrown by the client) means for each of its events. */
export function classifyRequestError(error: unknown, step: string): EventOutcome {
  const summary = errorSummary(error);
  const reason = `${step} failed: ${summary.name}${summary.statusCode ? ` ${summary.statusCode}` : ''}${summary.code ? ` ${summary.code}` : ''}: ${summary.message}`;
  const status = summary.statusCode;
  const type = summary.code ?? '';
  if (NO_ANSWER_ERRORS.has(summary.name) || INFRASTRUCTURE_TYPES.has(type))
    return { kind: 'transient', reason };
  if (status === undefined) {
    // The client could not even build the request from some event: find which.
    if (summary.name === 'SerializationError') {
      return { kind: 'group-failed', reasonCode: 'request-invalid', reason, eventSpecific: true };
    }
    // A system error below the client (ECONNRESET, EPIPE...) is the network's.
    if (/^E[A-Z]+$/.test(type)) return { kind: 'transient', reason };
    return { kind: 'group-failed', reasonCode: 'unrecognised-error', reason, eventSpecific: false };
  }
  if (
    status === 429 ||
    status >= 500 ||
    status === 401 ||
    status === 403 ||
    status === 404 ||
    status === 408
  ) {
    return { kind: 'transient', reason };
  }
  if (status === 413)
    return { kind: 'group-failed', reasonCode: 'document-too-large', reason, eventSpecific: true };
  if (status === 400)
    return { kind: 'group-failed', reasonCode: 'request-invalid', reason, eventSpecific: true };
  return { kind: 'group-failed', reasonCode: 'unrecognised-error', reason, eventSpecific: false };
}
