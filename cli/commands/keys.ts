/**
 * `keys create|list|revoke`: API keys of an account. A key's secret is shown once, when it is created,
 * and never stored: the table keeps its hash, and lists show its id and first characters. Against a
 * deployed stack a key also gets its API Gateway API key in the usage plan of its limits
 * (`keys-usage-plans.ts`), which is what throttles it.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  type ApiKeyItem,
  type NewKeyOptions,
  newApiKey,
  ownLimitPair,
} from '../../lambdas/shared/api-keys.js';
import { DEFAULT_KEY_CACHE_TTL_MS } from '../../lambdas/shared/config.js';
import { errorSummary } from '../../lambdas/shared/error-summary.js';
import { MAX_BATCH_EVENTS } from '../../lambdas/shared/event-limits.js';
import {
  type Command,
  parseOptions,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOptions,
  UsageError,
} from '../command.js';
import type { Output } from '../output.js';
import { resolveTarget, type Target } from '../target.js';
import { checkedAccountId } from './accounts.js';
import { keyLimitWarnings } from './key-capacity.js';
import { closeKeyConnections, managementClient } from './key-connections.js';
import {
  deleteUnissuedKey,
  findKey,
  getAccount,
  type KeyTables,
  keyTablesOf,
  listKeys,
  putKey,
  revokeKey,
} from './keys-store.js';
import { attachApiKey, deleteApiKey, type StageUsagePlans } from './keys-usage-plans.js';

const USAGE = `pipeline keys create --account <account-id> --scope write|read [--rate <n> --burst <n>]
                   [--event-rate <n> --event-burst <n>] [target options]
       pipeline keys list [--account <account-id>] [target options]
       pipeline keys revoke <key-id> [target options]

  --scope write    a key that may only post events (it may sit in a web page)
  --scope read     a secret key that may also read stats and subscribe to live events
  --rate, --burst  requests per second and burst of this key (both or neither; whole numbers up to
                   10000, the burst at least the rate); default: the stack's default limits
  --event-rate, --event-burst
                   events per second and burst of this key, however many a request carries (both or
                   neither; whole numbers up to 1000000, the burst at least 500, one full request);
                   default: the stack's defaults. The stream takes 1000 events/s a shard for every
                   account together: a key allowed more can fill it for all of them

Rotating a key: create a new one, move the clients to it, then revoke the old one.

${TARGET_USAGE}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  account: { type: 'string' },
  scope: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'event-rate': { type: 'string' },
  'event-burst': { type: 'string' },
} as const;

/** Seconds a revoked key may keep working in a warm function (the key caches' lifetime). */
const REVOCATION_SECONDS = DEFAULT_KEY_CACHE_TTL_MS / 1000;

export const keysCommand: Command = {
  name: 'keys',
  summary: 'create, list and revoke API keys (secrets shown once, stored hashed)',
  usage: USAGE,
  async run({ args, output }) {
    const [action, ...rest] = args;
    if (action !== 'create' && action !== 'list' && action !== 'revoke') {
      throw new UsageError(
        action ? `unknown keys action "${action}"` : 'keys needs an action: create, list or revoke',
      );
    }
    const { values, positionals } = parseOptions(rest, OPTIONS, action === 'revoke');
    const target = await resolveTarget(targetOptions(values));
    try {
      const tables = keyTablesOf(target);
      if (action === 'create') return await create(values, tables, target, output);
      if (action === 'list') {
        const account =
          values.account === undefined ? undefined : checkedAccountId(values.account, '--account');
        return await list(account, tables, target, output);
      }
      const [keyId, ...extra] = positionals;
      if (!keyId || extra.length > 0) throw new UsageError('keys revoke takes one key id (key_…)');
      return await revoke(keyId, tables, target, output);
    } finally {
      target.close();
    }
  },
};

export async function create(
  values: {
    account?: string;
    scope?: string;
    rate?: string;
    burst?: string;
    'event-rate'?: string;
    'event-burst'?: string;
  },
  tables: KeyTables,
  target: Target,
  output: Output,
): Promise<number> {
  if (!values.account) throw new UsageError('keys create needs --account <account-id>');
  const accountId = checkedAccountId(values.account, '--account');
  const scope = values.scope;
  if (scope !== 'write' && scope !== 'read')
    throw new UsageError('keys create needs --scope write or --scope read');
  const limits = {
    ...parseLimits(values.rate, values.burst),
    ...parseEventLimits(values['event-rate'], values['event-burst']),
  };
  if (!(await getAccount(tables, accountId))) {
    output.note(
      `account ${accountId} does not exist in ${target.label}: create it with \`pipeline accounts create\``,
    );
    return 1;
  }
  for (const warning of await warningsOfLimits(target, limits)) output.note(warning);
  const { secret, item } = await newKeyStored(tables, { accountId, scope, ...limits }, target);
  output.line(`Created a ${scope} key for account ${accountId} in ${target.label}:`);
  output.line();
  output.table(
    ['key id', 'account', 'scope', 'limits', 'event limits'],
    [
      [
        item.keyId,
        accountId,
        scope,
        limitsText(item.rateLimit, item.burstLimit),
        limitsText(item.eventRateLimit, item.eventBurstLimit),
      ],
    ],
  );
  output.line();
  output.line(`  secret: ${secret}`);
  output.line();
  output.line('Store the secret now: it is not shown again (the table keeps only its hash).');
  if (scope === 'write')
    output.line('Clients send it in the x-api-key header, or as ?key= for navigator.sendBeacon.');
  return 0;
}

/** Stores a new key, and on a deployed stage its API key in the plan of its limits; the secret once. */
export async function newKeyStored(
  tables: KeyTables,
  options: Omit<NewKeyOptions, 'now'>,
  target: Target,
): Promise<{ secret: string; item: ApiKeyItem }> {
  const key = newApiKey({ ...options, now: new Date() });
  if (!(await putKey(tables, key.item)))
    throw new Error('a key with the same hash exists; run the command again');
  const plans = stagePlans(target);
  if (plans) {
    try {
      const limits =
        options.rateLimit !== undefined && options.burstLimit !== undefined
          ? { rateLimit: options.rateLimit, burstLimit: options.burstLimit }
          : undefined;
      await attachApiKey(plans, key.item, limits);
    } catch (error) {
      // Without its API key in a plan the key would be listed active yet refused by API Gateway, and
      // its secret is never shown: undo both halves, so a failed create leaves nothing behind.
      await deleteApiKey(plans, key.item.keyId).catch(() => false);
      await deleteUnissuedKey(tables, key.item);
      throw new Error(
        `no key was created: API Gateway refused its API key (${(error as Error).message}); nothing was kept`,
      );
    } finally {
      plans.apiGateway.destroy();
    }
  }
  return key;
}

export async function list(
  accountId: string | undefined,
  tables: KeyTables,
  target: Target,
  output: Output,
): Promise<number> {
  const keys = await listKeys(tables, accountId);
  output.line(`${keys.length} key(s)${accountId ? ` of account ${accountId}` : ''} in ${target.label}:`);
  output.line();
  output.table(
    ['key id', 'account', 'scope', 'starts with', 'limits', 'event limits', 'created', 'state'],
    keys.map((key) => [
      key.keyId,
      key.accountId,
      key.scope,
      `${key.prefix}…`,
      limitsText(key.rateLimit, key.burstLimit),
      limitsText(key.eventRateLimit, key.eventBurstLimit),
      key.createdAt.slice(0, 19).replace('T', ' '),
      key.revokedAt ? `revoked ${key.revokedAt.slice(0, 19).replace('T', ' ')}` : 'active',
    ]),
  );
  return 0;
}

export async function revoke(
  keyId: string,
  tables: KeyTables,
  target: Target,
  output: Output,
): Promise<number> {
  const key = await findKey(tables, keyId);
  if (!key) {
    output.note(`no key ${keyId} in ${target.label} (\`pipeline keys list\` shows the ids)`);
    return 1;
  }
  const revoked = await revokeKey(tables, key, new Date());
  const plans = stagePlans(target);
  if (plans) {
    try {
      await deleteApiKey(plans, keyId);
    } finally {
      plans.apiGateway.destroy();
    }
  }
  if (!revoked) {
    output.line(`Key ${keyId} of account ${key.accountId} was already revoked (${key.revokedAt}).`);
    // Again, for a revoke that could not close them the first time.
    return key.scope === 'read' ? await closeLiveConnections(key, target, output) : 0;
  }
  output.line(`Revoked key ${keyId} (${key.scope}, account ${key.accountId}) in ${target.label}.`);
  output.line(
    plans
      ? 'API Gateway refuses it at once; functions that looked it up in the last minute may accept it for up to that long.'
      : `It is refused within ${REVOCATION_SECONDS} s, the time a function trusts a key it looked up.`,
  );
  if (key.scope === 'read') return await closeLiveConnections(key, target, output);
  return 0;
}

/** Closes the live connections the revoked read key's tokens opened; 1 when some could not be. */
async function closeLiveConnections(key: ApiKeyItem, target: Target, output: Output): Promise<number> {
  let management: ReturnType<typeof managementClient> | undefined;
  try {
    management = managementClient(target);
    const closed = await closeKeyConnections({ target, management }, key.accountId, key.keyHash);
    output.line(`Closed ${closed} live connection(s) opened with its tokens.`);
    return 0;
  } catch (error) {
    output.note(
      `the key is revoked, but its open live connections could not be closed (${errorSummary(error).message}); they end within 2 hours, or run the command again`,
    );
    return 1;
  } finally {
    management?.destroy();
  }
}

/**
 * The most `--rate` or `--burst` may be: API Gateway's default account-level rate per region, above
 * which a key's own limit never binds (and a burst must fit the usage plan's 32-bit integer).
 */
export const MAX_KEY_LIMIT = 10_000;

/** Decimal digits only: `1e3`, `0x10` or `5.0` are refused rather than read as some other number. */
const WHOLE_NUMBER = /^[0-9]+$/;

/**
 * `--rate` and `--burst`: both or neither, whole numbers from 1 to `MAX_KEY_LIMIT`, the burst at least
 * the rate.
 */
export function parseLimits(
  rate: string | undefined,
  burst: string | undefined,
): { rateLimit?: number; burstLimit?: number } {
  const pair = parseRateAndBurst(
    { rate: 'rate', burst: 'burst', max: MAX_KEY_LIMIT },
    rate,
    burst,
    (least) => ({
      least,
      named: `the rate (${least})`,
    }),
  );
  return pair ? { rateLimit: pair[0], burstLimit: pair[1] } : {};
}

/** The most `--event-rate` or `--event-burst` may be: the write capacity of a 1,000-shard stream. */
export const MAX_KEY_EVENT_LIMIT = 1_000_000;

/**
 * `--event-rate` and `--event-burst`: both or neither, whole numbers up to `MAX_KEY_EVENT_LIMIT`, the
 * burst at least one full request (else ingest answers every full request of the key with a 413).
 */
export function parseEventLimits(
  rate: string | undefined,
  burst: string | undefined,
): { eventRateLimit?: number; eventBurstLimit?: number } {
  const pair = parseRateAndBurst(
    { rate: 'event-rate', burst: 'event-burst', max: MAX_KEY_EVENT_LIMIT },
    rate,
    burst,
    () => ({ least: MAX_BATCH_EVENTS, named: `${MAX_BATCH_EVENTS} (one full request)` }),
  );
  return pair ? { eventRateLimit: pair[0], eventBurstLimit: pair[1] } : {};
}

/**
 * A rate and a burst option: both or neither (undefined), the rate a whole number from 1 to `max`, the
 * burst one from `leastBurst(rate)` (which names its bound for the message) to `max`.
 */
function parseRateAndBurst(
  options: { rate: string; burst: string; max: number },
  rate: string | undefined,
  burst: string | undefined,
  leastBurst: (rate: number) => { least: number; named: string },
): [rate: number, burst: number] | undefined {
  if (rate === undefined && burst === undefined) return undefined;
  if (rate === undefined || burst === undefined)
    throw new UsageError(`--${options.rate} and --${options.burst} go together`);
  const rateValue = WHOLE_NUMBER.test(rate) ? Number(rate) : Number.NaN;
  const burstValue = WHOLE_NUMBER.test(burst) ? Number(burst) : Number.NaN;
  if (!(rateValue >= 1 && rateValue <= options.max)) {
    throw new UsageError(`--${options.rate} must be a whole number from 1 to ${options.max}, got "${rate}"`);
  }
  const { least, named } = leastBurst(rateValue);
  if (!(burstValue >= least && burstValue <= options.max)) {
    throw new UsageError(
      `--${options.burst} must be a whole number from ${named} to ${options.max}, got "${burst}"`,
    );
  }
  return [rateValue, burstValue];
}

/**
 * A key's rate and burst as the gateway and ingest apply them (`parseRecord`): a stored pair that is not
 * two whole numbers from 1 (an item edited by hand: text, 0, a fraction, one of the two) is the defaults.
 */
function limitsText(rate: unknown, burst: unknown): string {
  const own = ownLimitPair(rate, burst);
  if (own) return `${own[0]}/s, burst ${own[1]}`;
  return rate === undefined && burst === undefined
    ? 'default'
    : `default (stored ${JSON.stringify(rate) ?? '-'}/s, burst ${JSON.stringify(burst) ?? '-'} ignored)`;
}

/** The usage plans of a deployed stage; the local stack has none (its gateway reads the key's limits). */
/** `keys create`'s warnings about limits the stage cannot give (`key-capacity.ts`). */
async function warningsOfLimits(
  target: Target,
  limits: { rateLimit?: number; eventRateLimit?: number },
): Promise<string[]> {
  if (limits.rateLimit === undefined && limits.eventRateLimit === undefined) return [];
  const plans = limits.rateLimit === undefined ? undefined : stagePlans(target);
  try {
    return await keyLimitWarnings(
      {
        kinesis: target.kinesis,
        streamName: target.resources.streamName,
        ...(plans ? { restApi: plans } : {}),
      },
      limits,
    );
  } finally {
    plans?.apiGateway.destroy();
  }
}

function stagePlans(target: Target): StageUsagePlans | undefined {
  const plans = target.resources.usagePlans;
  if (!plans) return undefined;
  return { apiGateway: new APIGatewayClient({ region: target.region }), ...plans };
}
