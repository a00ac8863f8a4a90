/**
 * The functions' OpenSearch client (lambdas/shared/opensearch-api.ts) binds the library's functions
 * for just the APIs a function passes, over one transport, and they request what the full client would.
 */
import search from '@opensearch-project/opensearch/api/_core/search.js';
import health from '@opensearch-project/opensearch/api/cluster/health.js';
import TransportModule from '@opensearch-project/opensearch/lib/Transport.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSearchApi } from '../../../lambdas/shared/opensearch-api.js';

const CONFIG = { endpoint: 'http://127.0.0.1:9', auth: 'none', region: undefined } as const;
// The module is the class itself at runtime (see opensearch-api.ts).
const Transport = TransportModule as unknown as typeof TransportModule.default;

describe('openSearchApi', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('has the APIs it was given, shaped as the client names them, and no others', () => {
    // Act
    const api = openSearchApi(CONFIG, { search, cluster: { health } });

    // Assess
    expect(Object.keys(api).sort()).toEqual(['cluster', 'search']);
    expect(Object.keys(api.cluster)).toEqual(['health']);
  });

  it('sends each API call through the one transport, as the full client builds it', async () => {
    // Prepare
    const request = vi.spyOn(Transport.prototype, 'request').mockResolvedValue({ body: {} } as never);
    const first = openSearchApi(CONFIG, { search });
    const second = openSearchApi(CONFIG, { cluster: { health } });

    // Act
    await first.search({ index: 'events-*', body: { size: 0 } });
    await second.cluster.health({ timeout: '2s' });

    // Assess
    expect(request.mock.calls.map(([params]) => params)).toEqual([
      expect.objectContaining({ method: 'POST', path: '/events-*/_search', body: { size: 0 } }),
      expect.objectContaining({ method: 'GET', path: '/_cluster/health', querystring: { timeout: '2s' } }),
    ]);
    expect(request.mock.contexts[0]).toBe(request.mock.contexts[1]);
  });
});
