/**
 * Raw requests to the local stack's ingest endpoint: any body (text or bytes) with any content type, as
 * a hostile or careless client sends it, and the account's documents in OpenSearch with their index.
 */
import { eventually, localStack } from './local-stack-client.js';

export interface RawResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the system under test, checked by the assertions.
  body: any;
}

/**
 * POSTs `body` as is, as `application/json` unless told (every body reaches ingest base64-encoded,
 * as API Gateway hands over binary media types: `*` + `/*` in the stack).
 */
export async function postRawBody(
  key: string,
  body: string | Buffer,
  contentType = 'application/json',
): Promise<RawResponse> {
  const response = await fetch(localStack().ingestUrl, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-api-key': key },
    body,
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

export interface IndexedDocument {
  index: string;
  id: string;
  source: Record<string, unknown>;
}

/** Every document of an account in the event indices (`events-*`), after a refresh; up to 10,000. */
export async function accountDocuments(accountId: string): Promise<IndexedDocument[]> {
  const { opensearchUrl } = localStack();
  await fetch(`${opensearchUrl}/events-*/_refresh`, { method: 'POST' });
  const response = await fetch(`${opensearchUrl}/events-*/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: 10_000, query: { term: { account_id: accountId } } }),
  });
  if (response.status === 404) return [];
  const result = (await response.json()) as {
    hits?: { hits: { _index: string; _id: string; _source: Record<string, unknown> }[] };
  };
  return (result.hits?.hits ?? []).map((hit) => ({ index: hit._index, id: hit._id, source: hit._source }));
}

/** The account's documents once there are at least `count` (or what there is when time is up). */
export function documentsOnceIndexed(accountId: string, count: number): Promise<IndexedDocument[]> {
  return eventually(
    () => accountDocuments(accountId),
    (docs) => docs.length >= count,
  );
}
