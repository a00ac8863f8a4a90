import { describe, expect, it } from 'vitest';
import {
  loadApiKeyConfig,
  loadIndexerConfig,
  loadIngestConfig,
  loadStatsApiConfig,
  requireEnv,
} from '../../../lambdas/shared/config.js';
import {
  errorResult,
  headerValue,
  PayloadTooLargeError,
  ServiceUnavailableError,
} from '../../../lambdas/shared/http.js';
import { silentLog } from '../../helpers/factories.js';

describe('config', () => {
  it('names the missing variable', () => {
    // Act & Assess
    expect(() => requireEnv('EVENTS_STREAM_NAME', {})).toThrow(
      'EVENTS_STREAM_NAME environment variable is not set',
    );
    expect(() => loadApiKeyConfig({})).toThrow('API_KEYS_TABLE_NAME environment variable is not set');
  });

  it('reads the indexer config with its defaults', () => {
    // Act
    const config = loadIndexerConfig({
      OPENSEARCH_ENDPOINT: 'http://127.0.0.1:9200',
      OPENSEARCH_AUTH: 'none',
      DEAD_LETTER_QUEUE_URL: 'http://sqs/dlq',
    });

    // Assess
    expect(config).toEqual({
      opensearch: { endpoint: 'http://127.0.0.1:9200', auth: 'none', region: undefined },
      indexPrefix: 'events',
      deadLetterQueueUrl: 'http://sqs/dlq',
    });
    expect(() => loadIndexerConfig({ OPENSEARCH_ENDPOINT: 'x', DEAD_LETTER_QUEUE_URL: 'y' })).toThrow(
      'AWS_REGION environment variable is not set',
    );
  });

  it('reads the timestamp bounds in seconds', () => {
    // Act
    const config = loadIngestConfig({
      EVENTS_STREAM_NAME: 's',
      ADMISSION_TABLE_NAME: 'a',
      EVENT_MAX_PAST_SECONDS: '60',
    });

    // Assess
    expect(config.timestampBounds).toEqual({ maxPastMs: 60_000, maxFutureMs: 3_600_000 });
  });

  it('reads the CORS origins and the default limits of keys, refusing what they cannot be', () => {
    // Act
    const ingest = loadIngestConfig({
      EVENTS_STREAM_NAME: 's',
      ADMISSION_TABLE_NAME: 'a',
      CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    });
    const keys = loadApiKeyConfig({
      API_KEYS_TABLE_NAME: 't',
      KEY_RATE_LIMIT: '5',
      KEY_EVENT_RATE_LIMIT: '200',
      API_KEY_CACHE_SECONDS: '2',
    });

    // Assess
    expect(ingest.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadIngestConfig({ EVENTS_STREAM_NAME: 's', ADMISSION_TABLE_NAME: 'a' }).corsOrigins).toEqual([
      '*',
    ]);
    expect(keys).toEqual({
      apiKeysTableName: 't',
      defaultLimits: { rateLimit: 5, burstLimit: 100, eventRateLimit: 200, eventBurstLimit: 1000 },
      cacheTtlMs: 2000,
    });
    expect(() =>
      loadIngestConfig({
        EVENTS_STREAM_NAME: 's',
        ADMISSION_TABLE_NAME: 'a',
        CORS_ALLOWED_ORIGINS: 'https://a.example/',
      }),
    ).toThrow('CORS_ALLOWED_ORIGINS environment variable: "https://a.example/" is not an origin');
    expect(() => loadApiKeyConfig({ API_KEYS_TABLE_NAME: 't', KEY_BURST_LIMIT: '0.5' })).toThrow(
      'KEY_BURST_LIMIT environment variable must be a whole number of at least 1, got "0.5"',
    );
    // An event burst under one full request would refuse every full request of such a key.
    expect(() => loadApiKeyConfig({ API_KEYS_TABLE_NAME: 't', KEY_EVENT_BURST_LIMIT: '499' })).toThrow(
      'KEY_EVENT_BURST_LIMIT environment variable must be at least 500 (the events of one full request), got "499"',
    );
    expect(() => loadIngestConfig({ EVENTS_STREAM_NAME: 's' })).toThrow(
      'ADMISSION_TABLE_NAME environment variable is not set',
    );
  });
});

describe('stats API config', () => {
  const env = {
    ROLLUPS_TABLE_NAME: 'rollups',
    API_KEYS_TABLE_NAME: 'keys',
    OPENSEARCH_ENDPOINT: 'http://127.0.0.1:9200',
    OPENSEARCH_AUTH: 'none',
  };

  it('fails the cold start without a cursor-signing key, or with one short enough to guess', () => {
    // Act & Assess
    expect(() => loadStatsApiConfig(env)).toThrow('CURSOR_SIGNING_KEY environment variable is not set');
    expect(() => loadStatsApiConfig({ ...env, CURSOR_SIGNING_KEY: 'x'.repeat(31) })).toThrow(
      'CURSOR_SIGNING_KEY environment variable must be at least 32 characters',
    );
    expect(loadStatsApiConfig({ ...env, CURSOR_SIGNING_KEY: 'k'.repeat(32) }).cursorSigningKey).toEqual(
      Buffer.from('k'.repeat(32)),
    );
  });
});

describe('http', () => {
  it('maps typed errors to JSON proxy results with their headers', () => {
    // Act
    const tooLarge = errorResult(new PayloadTooLargeError('too big', { limit_bytes: 1 }), silentLog);
    const unavailable = errorResult(new ServiceUnavailableError('later', 2, { failed: [] }), silentLog);
    const bug = errorResult(new TypeError('x is undefined'), silentLog);

    // Assess
    expect(tooLarge).toEqual({
      statusCode: 413,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ message: 'too big', limit_bytes: 1 }),
    });
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.headers?.['Retry-After']).toBe('2');
    expect(JSON.parse(unavailable.body)).toEqual({ message: 'later', failed: [], retry_after_seconds: 2 });
    expect(bug).toMatchObject({ statusCode: 500, body: JSON.stringify({ message: 'internal error' }) });
  });

  it('finds headers case-insensitively', () => {
    // Act & Assess
    expect(headerValue({ 'X-API-Key': 'k' }, 'x-api-key')).toBe('k');
    expect(headerValue(null, 'x-api-key')).toBeUndefined();
  });
});
