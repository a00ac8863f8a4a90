import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TUNING_ENV } from '../../../lambdas/shared/env-names.js';
import { REPO_ROOT, TABLES, type TableKey } from '../../../lib/topology.js';
import {
  LOCAL_API_SETTINGS,
  type LocalResourceEndpoints,
  localFunctionEnvironment,
} from '../../../local/function-environment.js';
import { apiSettingsFromContext, namedSettings, readCdkContext } from '../../../local/local-settings.js';

const RESOURCES: LocalResourceEndpoints = {
  region: 'us-east-1',
  kinesisUrl: 'http://127.0.0.1:1',
  dynamodbUrl: 'http://127.0.0.1:1',
  sqsUrl: 'http://127.0.0.1:1',
  opensearchUrl: 'http://127.0.0.1:1',
  streamName: 'events',
  tableNames: Object.fromEntries(Object.keys(TABLES).map((key) => [key, key])) as Record<TableKey, string>,
  deadLetterQueueUrl: 'http://127.0.0.1:1/queue/dlq',
  websocketManagementEndpoint: 'http://127.0.0.1:1/prod',
  cursorSigningKey: 'a-cursor-signing-key-of-at-least-32-characters',
};

async function cdkJson(text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'cdk-json-')), 'cdk.json');
  await writeFile(file, text);
  return file;
}

describe('the local stack reads the settings of cdk.json', () => {
  it('runs the deployed defaults when the context names no setting (CDK feature flags aside)', () => {
    // Prepare
    const context = { '@aws-cdk/core:checkSecretUsage': true, stackName: 'Dev' };

    // Act
    const settings = apiSettingsFromContext(context);

    // Assess
    expect(settings).toEqual(LOCAL_API_SETTINGS);
    expect(namedSettings(context)).toEqual([]);
  });

  it('gives the functions the configured origins, key limits, key trust and timestamp bounds', () => {
    // Prepare: a stage configured for one site, a one-day backfill and tighter key limits.
    const context = {
      corsAllowedOrigins: ['https://app.example.com'],
      keyEventRateLimit: 200,
      keyEventBurstLimit: 1000,
      apiKeyCacheSeconds: '10',
      eventMaxPastSeconds: 86_400,
      eventMaxFutureSeconds: 60,
    };

    // Act
    const settings = apiSettingsFromContext(context);
    const ingest = localFunctionEnvironment('ingest', RESOURCES, settings);
    const consumer = localFunctionEnvironment('rollup-writer', RESOURCES, settings);

    // Assess
    expect(settings.corsAllowedOrigins).toEqual(['https://app.example.com']);
    expect(settings.apiKeyCacheSeconds).toBe(10);
    expect(ingest[TUNING_ENV.keyEventRateLimit]).toBe('200');
    expect(ingest[TUNING_ENV.eventMaxPastSeconds]).toBe('86400');
    // A consumer re-checks the same bounds, or it would dead-letter what ingest admitted.
    expect(consumer[TUNING_ENV.eventMaxPastSeconds]).toBe('86400');
    expect(consumer[TUNING_ENV.eventMaxFutureSeconds]).toBe('60');
    expect(namedSettings(context)).toContain('corsAllowedOrigins=https://app.example.com');
  });

  it('refuses what a synthesis refuses, naming the setting and its rule', () => {
    // Act / Assess: a typo and a value out of range stop the start before any server does.
    expect(() => apiSettingsFromContext({ eventMaxPastSecond: 60 })).toThrow(
      'Context eventMaxPastSecond: not a setting',
    );
    expect(() => apiSettingsFromContext({ eventMaxPastSeconds: 400 * 86_400 })).toThrow(
      'Context eventMaxPastSeconds must be at most',
    );
    expect(() => apiSettingsFromContext({ keyEventRateLimit: 5000 })).toThrow(
      'Context keyEventRateLimit must be at most',
    );
  });

  it("reads a file's context, and names the file when it is not JSON or the context is not an object", async () => {
    // Prepare
    const good = await cdkJson('{"app": "x", "context": {"keyRateLimit": 7}}');
    const broken = await cdkJson('{"context": {');
    const wrong = await cdkJson('{"context": ["keyRateLimit=7"]}');

    // Act / Assess
    expect(readCdkContext(good)).toEqual({ keyRateLimit: 7 });
    expect(readCdkContext(join(tmpdir(), 'no-such-dir', 'cdk.json'))).toEqual({});
    expect(() => readCdkContext(broken)).toThrow(`${broken} is not valid JSON`);
    expect(() => readCdkContext(wrong)).toThrow(`${wrong}: "context" must be an object`);
  });

  it("accepts this repository's own cdk.json", () => {
    // Act
    const settings = apiSettingsFromContext(readCdkContext(join(REPO_ROOT, 'cdk.json')));

    // Assess
    expect(settings.corsAllowedOrigins.length).toBeGreaterThan(0);
  });
});
