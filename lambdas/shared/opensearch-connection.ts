/**
 * How every OpenSearch client of the project connects: the endpoint, timeouts and whole-request retries,
 * and SigV4 signing for OpenSearch Service (unsigned for a local node without the security plugin,
 * `OPENSEARCH_AUTH=none`). The functions' client (`opensearch-api.ts`) and the tools' full client
 * (`opensearch-client.ts`) are both built from it.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { ClientOptions } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { OpenSearchConfig } from './config.js';

/** The client options of a connection to `config.endpoint`. */
export function openSearchConnection(config: OpenSearchConfig): ClientOptions {
  const common = {
    node: config.endpoint,
    requestTimeout: 30_000,
    // Retries of whole requests; per-item retries are the indexer's job.
    maxRetries: 2,
  };
  if (config.auth === 'none') return common;
  if (!config.region) throw new Error('AWS_REGION environment variable is not set');
  const credentials = defaultProvider();
  return {
    ...common,
    ...AwsSigv4Signer({ region: config.region, service: 'es', getCredentials: () => credentials() }),
  };
}
