/**
 * The full OpenSearch client, for the command-line tools and the local stack. Functions use the lean
 * client of `opensearch-api.ts` instead: this one carries every API of OpenSearch (about 250 KB bundled).
 */
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { OpenSearchConfig } from './config.js';
import { openSearchConnection } from './opensearch-connection.js';

let openSearch: OpenSearchClient | undefined;

/** The process's full OpenSearch client. */
export function openSearchClient(config: OpenSearchConfig): OpenSearchClient {
  openSearch ??= new OpenSearchClient(openSearchConnection(config));
  return openSearch;
}
