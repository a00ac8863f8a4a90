import type { Node } from 'constructs';
import {
  DEFAULT_KEY_CACHE_TTL_MS,
  DEFAULT_KEY_EVENT_LIMITS,
  DEFAULT_KEY_LIMITS,
} from '../../lambdas/shared/config.js';
import { ANY_ORIGIN, parseAllowedOrigins } from '../../lambdas/shared/cors.js';
import {
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_PAST_MS,
  MAX_BACKFILL_HORIZON_MS,
  MAX_BATCH_EVENTS,
  MAX_CLOCK_SKEW_MS,
} from '../../lambdas/shared/event-limits.js';
import { EVENT_STREAM } from '../topology.js';

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
  /**
   * `streamShards`: shards of the event stream. Each takes 1,000 events or 1 MB a second of writes, for
   * every account together: size it for the sum of the accounts' peaks, since one key's request limit
   * (up to 500 events a request) can ask for more than a shard takes. Or `on-demand`: Kinesis manages
   * the shards, starting at 4,000 events (4 MB) a second and following the peak (to twice the last one).
   */
  readonly streamShards: number | typeof ON_DEMAND;
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
   * `keyEventRateLimit`: events per second of an API key that has no event limit of its own, counted by
   * ingest whatever the requests' sizes (default 500: half a shard, so one key alone never fills a
   * one-shard stream). At most the stream's capacity, `streamShards` x 1,000.
   */
  readonly keyEventRateLimit: number;
  /** `keyEventBurstLimit`: burst of events of such a key; at least 500, one full request. */
  readonly keyEventBurstLimit: number;
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
  /**
   * `eventMaxPastSeconds`: how old an event's `timestamp` may be (the backfill horizon), at most 365 days:
   * the rollups keep 400.
   */
  readonly eventMaxPastSeconds: number;
  /** `eventMaxFutureSeconds`: how far ahead an event's `timestamp` may be (clock skew), at most a day. */
  readonly eventMaxFutureSeconds: number;
  /** `alarmEmail`: when set, alarm notifications are emailed to this address. */
  readonly alarmEmail: string | undefined;
  /**
   * `dashboard`: deploy the dashboard page (S3 and CloudFront). `false` leaves it out: AWS refuses
   * CloudFront resources in a new account until AWS Support verifies it, and nothing else needs them.
   */
  readonly dashboard: boolean;
}

export const DEFAULT_SETTINGS: PipelineSettings = {
  opensearchInstanceType: 't3.small.search',
  opensearchDataNodes: 1,
  opensearchVolumeGb: 10,
  opensearchMultiAz: false,
  opensearchMasterNodes: 0,
  opensearchMasterInstanceType: 'm6g.large.search',
  streamShards: EVENT_STREAM.shardCount,
  logRetentionDays: 30,
  retainData: true,
  apiRateLimit: 1000,
  apiBurstLimit: 2000,
  keyRateLimit: DEFAULT_KEY_LIMITS.rateLimit,
  keyBurstLimit: DEFAULT_KEY_LIMITS.burstLimit,
  keyEventRateLimit: DEFAULT_KEY_EVENT_LIMITS.eventRateLimit,
  keyEventBurstLimit: DEFAULT_KEY_EVENT_LIMITS.eventBurstLimit,
  corsAllowedOrigins: [ANY_ORIGIN],
  apiKeyCacheSeconds: DEFAULT_KEY_CACHE_TTL_MS / 1000,
  eventMaxPastSeconds: DEFAULT_MAX_PAST_MS / 1000,
  eventMaxFutureSeconds: DEFAULT_MAX_FUTURE_MS / 1000,
  alarmEmail: undefined,
  dashboard: true,
};

/** Records per second one Kinesis shard takes. */
export const SHARD_EVENTS_PER_SECOND = 1_000;

/** The `streamShards` of an on-demand stream. */
export const ON_DEMAND = 'on-demand';
/** Records per second a new on-demand stream takes before it has seen a higher peak. */
export const ON_DEMAND_FIRST_EVENTS_PER_SECOND = 4_000;

/** Context keys the app reads besides the settings (`bin/app.ts`). */
const OTHER_CONTEXT_KEYS = ['stackName'];

/**
 * The least each count may be, and why: a value below it would fail the deployment minutes in (no data
 * node, a volume OpenSearch Service refuses) or deploy an API that throttles every request.
 */
const MINIMUM: Partial<Record<keyof PipelineSettings, { least: number; why: string }>> = {
  opensearchDataNodes: { least: 1, why: 'a domain needs a data node' },
  opensearchVolumeGb: { least: 10, why: "OpenSearch Service's smallest EBS volume" },
  streamShards: { least: 1, why: 'a stream needs a shard' },
  apiRateLimit: { least: 1, why: '0 throttles every request' },
  apiBurstLimit: { least: 1, why: '0 throttles every request' },
  keyRateLimit: { least: 1, why: '0 throttles every request of a key' },
  keyBurstLimit: { least: 1, why: '0 throttles every request of a key' },
  keyEventRateLimit: { least: 1, why: '0 refuses every event of a key' },
  keyEventBurstLimit: { least: MAX_BATCH_EVENTS, why: 'the events of one full request' },
  apiKeyCacheSeconds: { least: 1, why: 'every request would look its key up' },
};

/** The most each count may be, and why: the functions refuse a larger one at cold start. */
const MAXIMUM: Partial<Record<keyof PipelineSettings, { most: number; why: string }>> = {
  eventMaxPastSeconds: { most: MAX_BACKFILL_HORIZON_MS / 1000, why: '365 days: the rollups keep 400' },
  eventMaxFutureSeconds: {
    most: MAX_CLOCK_SKEW_MS / 1000,
    why: 'a day: no stats window reaches further ahead',
  },
};

/**
 * Reads the settings from CDK context. Context values given on the command line are strings, so numbers
 * and booleans are parsed here, and a value that does not parse, breaks a rule, or a key that is not a
 * setting (a typo) fails synthesis, naming the key, the value and the rule, rather than deploying
 * something unintended or failing in CloudFormation minutes into a deployment.
 */
export function settingsFromContext(node: Node): PipelineSettings {
  refuseUnknownKeys(node);
  const fail = (
    key: keyof PipelineSettings,
    rule: string,
    value: unknown = node.tryGetContext(key),
  ): never => {
    throw new Error(`Context ${key} ${rule}, got "${value}"`);
  };
  const number = (key: keyof PipelineSettings): number => {
    const raw = node.tryGetContext(key);
    if (raw === undefined) return DEFAULT_SETTINGS[key] as number;
    // Decimal digits only: Number() would also take "", " ", "0x10" and "1e3".
    const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      fail(key, 'must be a non-negative integer');
    const minimum = MINIMUM[key];
    if (minimum && value < minimum.least) fail(key, `must be at least ${minimum.least} (${minimum.why})`);
    const maximum = MAXIMUM[key];
    if (maximum && value > maximum.most) fail(key, `must be at most ${maximum.most} (${maximum.why})`);
    return value;
  };
  const boolean = (key: keyof PipelineSettings): boolean => {
    const raw = node.tryGetContext(key);
    if (raw === undefined) return DEFAULT_SETTINGS[key] as boolean;
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    return fail(key, 'must be true or false');
  };
  const origins = (key: 'corsAllowedOrigins'): readonly string[] => {
    const raw = node.tryGetContext(key);
    if (raw === undefined) return DEFAULT_SETTINGS[key];
    return parseAllowedOrigins(Array.isArray(raw) ? raw.join(',') : String(raw), `Context ${key}`);
  };
  const text = (key: keyof PipelineSettings, pattern: RegExp, rule: string): string | undefined => {
    const raw = node.tryGetContext(key);
    if (raw === undefined) return DEFAULT_SETTINGS[key] as string | undefined;
    // An empty instance type would make aws-cdk-lib pick its own default (r5.large.search) silently.
    if (typeof raw !== 'string' || !pattern.test(raw)) fail(key, rule);
    return raw;
  };
  const instanceType = (key: 'opensearchInstanceType' | 'opensearchMasterInstanceType'): string =>
    text(
      key,
      /^[a-z0-9-]+\.[a-z0-9-]+\.search$/,
      'must be an OpenSearch instance type such as r6g.large.search',
    ) ?? DEFAULT_SETTINGS[key];
  const shards = (): number | typeof ON_DEMAND => {
    const raw = node.tryGetContext('streamShards');
    if (raw === ON_DEMAND) return ON_DEMAND;
    if (typeof raw === 'string' && !/^\d+$/.test(raw))
      fail('streamShards', `must be a number of shards (at least 1) or ${ON_DEMAND}`);
    return number('streamShards');
  };
  const settings: PipelineSettings = {
    opensearchInstanceType: instanceType('opensearchInstanceType'),
    opensearchDataNodes: number('opensearchDataNodes'),
    opensearchVolumeGb: number('opensearchVolumeGb'),
    opensearchMultiAz: boolean('opensearchMultiAz'),
    opensearchMasterNodes: number('opensearchMasterNodes'),
    opensearchMasterInstanceType: instanceType('opensearchMasterInstanceType'),
    streamShards: shards(),
    logRetentionDays: number('logRetentionDays'),
    retainData: boolean('retainData'),
    apiRateLimit: number('apiRateLimit'),
    apiBurstLimit: number('apiBurstLimit'),
    keyRateLimit: number('keyRateLimit'),
    keyBurstLimit: number('keyBurstLimit'),
    keyEventRateLimit: number('keyEventRateLimit'),
    keyEventBurstLimit: number('keyEventBurstLimit'),
    corsAllowedOrigins: origins('corsAllowedOrigins'),
    apiKeyCacheSeconds: number('apiKeyCacheSeconds'),
    eventMaxPastSeconds: number('eventMaxPastSeconds'),
    eventMaxFutureSeconds: number('eventMaxFutureSeconds'),
    alarmEmail: text('alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an email address'),
    dashboard: boolean('dashboard'),
  };
  if (settings.opensearchMultiAz && settings.opensearchDataNodes % 2 !== 0)
    fail(
      'opensearchDataNodes',
      'must be even with opensearchMultiAz=true (half the nodes in each AZ)',
      settings.opensearchDataNodes,
    );
  const streamTakes =
    settings.streamShards === ON_DEMAND
      ? { events: ON_DEMAND_FIRST_EVENTS_PER_SECOND, named: 'what a new on-demand stream takes' }
      : {
          events: settings.streamShards * SHARD_EVENTS_PER_SECOND,
          named: `streamShards x ${SHARD_EVENTS_PER_SECOND}`,
        };
  if (settings.keyEventRateLimit > streamTakes.events)
    fail(
      'keyEventRateLimit',
      `must be at most ${streamTakes.named} = ${streamTakes.events} (what the stream takes: one key at its default would fill it for every account)`,
      settings.keyEventRateLimit,
    );
  if (![0, 3, 5].includes(settings.opensearchMasterNodes))
    fail(
      'opensearchMasterNodes',
      'must be 0, 3 or 5 (dedicated masters elect by majority: 1 or 2 survive no master loss, 4 no more than 3 do)',
    );
  return settings;
}

/**
 * A context key spelled like a setting but not one (`opensearchDataNode=2`) would otherwise be ignored
 * and the default deployed. CDK's own keys (`@aws-cdk/...`, `aws:cdk:...`, lookups, `acknowledged-issue-
 * numbers`) all hold `@`, `:` or `-`, so only plain camelCase words are checked.
 */
function refuseUnknownKeys(node: Node): void {
  const known = [...Object.keys(DEFAULT_SETTINGS), ...OTHER_CONTEXT_KEYS];
  const unknown = Object.keys(node.getAllContext()).filter(
    (key) => /^[A-Za-z][A-Za-z0-9]*$/.test(key) && !known.includes(key),
  );
  if (unknown.length > 0)
    throw new Error(`Context ${unknown.join(', ')}: not a setting (the settings: ${known.join(', ')})`);
}
