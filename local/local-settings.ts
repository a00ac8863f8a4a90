/**
 * The local stack's API settings, from the same place a deployment takes them: the `context` of
 * `cdk.json`. A stage configured there (its CORS origins, the default limits of keys, how long a key is
 * trusted, how old or far ahead an event may be) then behaves the same on `npm start`, and an invalid
 * value stops the start with the message `cdk synth` would give. Settings that only size AWS resources
 * (instance types, shards, retention) mean nothing locally and are read only to be checked.
 * `cdk deploy -c key=value` has no local counterpart: what is not in the file is the stack's default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { RootConstruct } from 'constructs';
import { settingsFromContext } from '../lib/stacks/pipeline-settings.js';
import type { ApiSettings } from '../lib/topology.js';

/** The API settings that `context` (a `cdk.json`'s) gives the functions, checked as a synthesis checks them. */
export function apiSettingsFromContext(context: Record<string, unknown>): ApiSettings {
  const root = new RootConstruct();
  for (const [key, value] of Object.entries(context)) root.node.setContext(key, value);
  const settings = settingsFromContext(root.node);
  return {
    corsAllowedOrigins: settings.corsAllowedOrigins,
    keyRateLimit: settings.keyRateLimit,
    keyBurstLimit: settings.keyBurstLimit,
    keyEventRateLimit: settings.keyEventRateLimit,
    keyEventBurstLimit: settings.keyEventBurstLimit,
    apiKeyCacheSeconds: settings.apiKeyCacheSeconds,
    eventMaxPastSeconds: settings.eventMaxPastSeconds,
    eventMaxFutureSeconds: settings.eventMaxFutureSeconds,
  };
}

/** The settings a `cdk.json` names (CDK's own feature flags left out), for the start-up banner. */
export function namedSettings(context: Record<string, unknown>): string[] {
  return Object.entries(context)
    .filter(([key]) => /^[A-Za-z][A-Za-z0-9]*$/.test(key) && key !== 'stackName')
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`);
}

/** The `context` object of the `cdk.json` at `file` (none: an empty one); a clear error if it is not JSON. */
export function readCdkContext(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message})`);
  }
  const context = (parsed as { context?: unknown } | null)?.context;
  if (context === undefined) return {};
  if (typeof context !== 'object' || context === null || Array.isArray(context))
    throw new Error(`${file}: "context" must be an object of settings, got ${JSON.stringify(context)}`);
  return context as Record<string, unknown>;
}
