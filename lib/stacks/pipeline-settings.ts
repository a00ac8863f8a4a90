import type { Node } from 'constructs';
import { DEFAULT_KEY_CACHE_TTL_MS, DEFAULT_KEY_LIMITS } from '../../lambdas/shared/config.js';
import { ANY_ORIGIN, parseAllowedOrigins } from '../../lambdas/shared/cors.js';

/**
 * Deployment settings that are not part of the topology: sizes, retention and limits that differ between
 * a developer's account and production. Defaults are dev-sized; every one can be overridden with
 * `cdk deploy -c <key>=<value>` or in `cdk.json` (see docs/deploy.md).
 */
export interface PipelineSettings {
  /** `opensearchInstanceType`: data node instance type. */
  readonly opensearchInstanceType: string;
  /** `opensearchDataNodes`: number of data nodes. */
  readonly opensearchDataNodes: number;
  /** `opensearchVolumeGb`: gp3 EBS volume per data node, in GiB. */
  readonly opensearchVolumeGb: number;
  /** `opensearchMultiAz`: spread data nodes over two AZs (needs an even number of nodes). */
  readonly opensearchMultiAz: boolean;
  /** `opensearchMasterNodes`: dedicated master nodes (0 = none, otherwise 3 is the usual choice). */
  readonly opensearchMasterNodes: number;
  /** `opensearchMasterInstanceType`: instance type of dedicated master nodes. */
  readonly opensearchMasterInstanceType: string;
  /** `logRetentionDays`: retention of function, API and OpenSearch log groups. */
  readonly logRetentionDays: number;
  /** `retainData`: keep tables, stream, queue, key and domain when the stack is deleted. */
  readonly retainData: boolean;
  /**
   * `apiRateLimit`: steady-state requests per second per stage (REST and WebSocket), a ceiling for all
   * keys together: keep it well above the keys' own limits, or busy keys starve the others.
   */
  readonly apiRateLimit: number;
  /** `apiBurstLimit`: burst of requests per stage. */
  readonly apiBurstLimit: number;
  /** `keyRateLimit`: requests per second of an API key that has no limit of its own (whole numbers). */
  readonly keyRateLimit: number;
  /** `keyBurstLimit`: burst of requests of an API key that has no limit of its own. */
  readonly keyBurstLimit: number;
  /**
   * `corsAllowedOrigins`: origins browser pages may call the REST API from: `*` (any page, the default:
   * write keys are meant for pages) or a comma-separated list such as `https://app.example.com`.
   */
  readonly corsAllowedOrigins: readonly string[];
  /**
   * `apiKeyCacheSeconds`: how long a function trusts a key it looked up, the longest a revoked key keeps
   * working (API Gateway itself refuses a revoked key at once: `keys revoke` deletes its API key).
   */
  readonly apiKeyCacheSeconds: number;
  /** `alarmEmail`: when set, alarm notifications are emailed to this address. */
  readonly alarmEmail: string | undefined;
}

export const DEFAULT_SETTINGS: PipelineSettings = {
  opensearchInstanceType: 't3.small.search',
  opensearchDataNodes: 1,
  opensearchVolumeGb: 10,
  opensearchMultiAz: false,
  opensearchMasterNodes: 0,
  opensearchMasterInstanceType: 'm6g.large.search',
  logRetentionDays: 30,
  retainData: true,
  apiRateLimit: 1000,
  apiBurstLimit: 2000,
  keyRateLimit: DEFAULT_KEY_LIMITS.rateLimit,
  keyBurstLimit: DEFAULT_KEY_LIMITS.burstLimit,
  corsAllowedOrigins: [ANY_ORIGIN],
  apiKeyCacheSeconds: DEFAULT_KEY_CACHE_TTL_MS / 1000,
  alarmEmail: undefined,
};

/**
 * Reads the settings from CDK context. Context values given on the command line are strings, so numbers
 * and booleans are parsed here, and a value that does not parse fails synthesis rather than deploying
 * something unintended.
 */
export function settingsFromContext(node: Node): PipelineSettings {
  const number = (key: keyof PipelineSettings): number => {
    const raw = node.tryGetContext(key);
    if (raw === undefined) return DEFAULT_SETTINGS[key] as number;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`Context ${key} must be a non-negative integer, got "${raw}"`);
    return value;
  };
  const boolean = (key: keyof PipelineSettings): boolean => {
    const raw = node.tryGetContext(key);
    if (raw === undefined) return DEFAULT_SETTINGS[key] as boolean;
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new Error(`Context ${key} must be true or false, got "${raw}"`);
  };
  const positive = (key: keyof PipelineSettings): number => {
    const value = number(key);
    if (value < 1) throw new Error(`Context ${key} must be at least 1, got "${node.tryGetContext(key)}"`);
    return value;
  };
  const origins = (key: 'corsAllowedOrigins'): readonly string[] => {
    const raw = node.tryGetContext(key);
    if (raw === undefined) return DEFAULT_SETTINGS[key];
    return parseAllowedOrigins(Array.isArray(raw) ? raw.join(',') : String(raw), `Context ${key}`);
  };
  const string = (key: keyof PipelineSettings): string | undefined => {
    const raw = node.tryGetContext(key);
    return raw === undefined ? (DEFAULT_SETTINGS[key] as string | undefined) : String(raw);
  };
  return {
    opensearchInstanceType: string('opensearchInstanceType') ?? DEFAULT_SETTINGS.opensearchInstanceType,
    opensearchDataNodes: number('opensearchDataNodes'),
    opensearchVolumeGb: number('opensearchVolumeGb'),
    opensearchMultiAz: boolean('opensearchMultiAz'),
    opensearchMasterNodes: number('opensearchMasterNodes'),
    opensearchMasterInstanceType:
      string('opensearchMasterInstanceType') ?? DEFAULT_SETTINGS.opensearchMasterInstanceType,
    logRetentionDays: number('logRetentionDays'),
    retainData: boolean('retainData'),
    apiRateLimit: number('apiRateLimit'),
    apiBurstLimit: number('apiBurstLimit'),
    keyRateLimit: positive('keyRateLimit'),
    keyBurstLimit: positive('keyBurstLimit'),
    corsAllowedOrigins: origins('corsAllowedOrigins'),
    apiKeyCacheSeconds: positive('apiKeyCacheSeconds'),
    alarmEmail: string('alarmEmail'),
  };
}
