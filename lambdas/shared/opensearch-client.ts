/**
 * The OpenSearch client, apart from the SDK clients in `clients.ts` so that only the functions that
 * talk to OpenSearch bundle it.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import type { OpenSearchConfig } from './config.js';

let openSearch: OpenSearchClient | undefined;

/**
 * The process's OpenSearch client: SigV4-signed for OpenSearch Service, unsigned for a local node
 * without the security plugin (`OPENSEARCH_AUTH=none`).
 */
export function openSearchClient(config: OpenSearchConfig): OpenSearchClient {
  if (openSearch) return openSearch;
  const common = {
    node: config.endpoint,
    requestTimeout: 30_000,
    // Retries of whole requests; per-item retries are the indexer's job.
    maxRetries: 2,
  };
  if (config.auth === 'none') {
    openSearch = new OpenSearchClient(common);
  } else {
    if (!config.region) throw new Error('AWS_REGION environment variable is not set');
    const credentials = defaultProvider();
    openSearch = new OpenSearchClient({
      ...common,
      ...AwsSigv4Signer({ region: config.region, service: 'es', getCredentials: () => credentials() }),
    });
  }
  return openSearch;
}
