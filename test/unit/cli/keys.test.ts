/**
 * The keys and accounts commands against mocked tables (and, for a deployed stage, a mocked API
 * Gateway): a secret is printed once and never stored, lists show prefixes, revocation is conditional
 * and, on a deployed stage, deletes the key's API Gateway key.
 */
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeysCommand,
  GetStageCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/command.js';
import { createAccount } from '../../../cli/commands/accounts.js';
import {
  create,
  list,
  MAX_KEY_EVENT_LIMIT,
  MAX_KEY_LIMIT,
  parseEventLimits,
  parseLimits,
  revoke,
} from '../../../cli/commands/keys.js';
import { keyTablesOf } from '../../../cli/commands/keys-store.js';
import { createOutput } from '../../../cli/output.js';
import type { Target } from '../../../cli/target.js';
import { type ApiKeyItem, hashApiKey } from '../../../lambdas/shared/api-keys.js';

const dynamo = mockClient(DynamoDBDocumentClient);
const apiGateway = mockClient(APIGatewayClient);
const kinesis = mockClient(KinesisClient);

/** A one-shard stream (1,000 events/s) and a stage throttled at 1,000 requests/s, as deployed by default. */
function aStage(stream: { shards?: number; onDemand?: boolean } = {}): void {
  kinesis.on(DescribeStreamSummaryCommand).resolves({
    StreamDescriptionSummary: {
      OpenShardCount: stream.shards ?? 1,
      StreamModeDetails: { StreamMode: stream.onDemand ? 'ON_DEMAND' : 'PROVISIONED' },
    } as never,
  });
  apiGateway.on(GetStageCommand).resolves({ methodSettings: { '*/*': { throttlingRateLimit: 1000 } } });
}

beforeEach(() => aStage());

afterEach(() => {
  dynamo.reset();
  apiGateway.reset();
  kinesis.reset();
});

/** A target whose tables are mocked; `deployed` gives it a stage's usage plans. */
function aTarget(deployed = false): Target {
  return {
    label: deployed ? 'stack Pipeline (eu-west-1)' : 'local',
    kind: deployed ? 'aws' : 'local',
    region: 'eu-west-1',
    resources: {
      streamName: 'events',
      deadLetterQueueUrl: 'http://queue',
      apiKeysTableName: 'api-keys',
      accountsTableName: 'accounts',
      rollupsTableName: 'rollups',
      connectionsTableName: 'connections',
      ...(deployed
        ? { usagePlans: { restApiId: 'api123', stage: 'prod', defaultUsagePlanId: 'plan-default' } }
        : {}),
    },
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    kinesis: new KinesisClient({ region: 'eu-west-1' }),
    close: () => {},
  } as unknown as Target;
}

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (into: string[]) => ({ write: (text: string) => into.push(text) > 0 }) as never;
  return {
    output: createOutput({ stdout: stream(out), stderr: stream(err) }),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

function aKeyItem(overrides: Partial<ApiKeyItem> = {}): ApiKeyItem {
  return {
    keyHash: 'f'.repeat(64),
    keyId: 'key_0123456789abcdef',
    accountId: 'acct_a',
    scope: 'write',
    prefix: 'wk_AbCd',
    createdAt: '2026-11-20T10:00:00.000Z',
    ...overrides,
  };
}

describe('keys create, with limits the stage cannot give', () => {
  async function created(target: Target, limits: Record<string, string>) {
    dynamo.on(GetCommand, { TableName: 'accounts' }).resolves({ Item: { accountId: 'acct_a' } });
    dynamo.on(PutCommand).resolves({});
    apiGateway.on(GetUsagePlansCommand).resolves({ items: [] });
    apiGateway.on(CreateUsagePlanCommand).resolves({ id: 'plan-x' });
    apiGateway.on(CreateApiKeyCommand).resolves({ id: 'apikey-1' });
    apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
    const io = captured();
    const code = await create(
      { account: 'acct_a', scope: 'write', ...limits },
      keyTablesOf(target),
      target,
      io.output,
    );
    return { code, stderr: io.stderr(), stdout: io.stdout() };
  }

  it('warns of an event rate above what the stream takes, and still makes the key', async () => {
    // When a key asks for 5,000 events/s of a one-shard stream
    const result = await created(aTarget(), { 'event-rate': '5000', 'event-burst': '5000' });

    // Then the user is told the stream's capacity and what to do, and gets the key
    expect(result.stderr).toContain(
      '--event-rate 5000 is above the 1000 events/s the stream takes (1 open shard(s) x 1000)',
    );
    expect(result.stderr).toContain('streamShards');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/secret: wk_/);
  });

  it('says nothing of a rate the stage can give', async () => {
    // When the limits fit a four-shard stream and the stage's throttle
    aStage({ shards: 4 });
    const result = await created(aTarget(true), {
      'event-rate': '4000',
      'event-burst': '4000',
      rate: '1000',
      burst: '2000',
    });

    // Then there is no warning
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('measures an on-demand stream by what it takes before its first peak', async () => {
    // When the stream is on demand
    aStage({ onDemand: true, shards: 4 });
    const result = await created(aTarget(), { 'event-rate': '6000', 'event-burst': '6000' });

    // Then the warning names on-demand capacity, not the shards it has now
    expect(result.stderr).toContain('the 4000 events/s the stream takes (an on-demand stream');
  });

  it("on a deployed stage warns of a request rate above the stage's throttle", async () => {
    // When a key asks for 2,000 requests/s of a stage throttled at 1,000
    const result = await created(aTarget(true), { rate: '2000', burst: '2000' });

    // Then the stage's throttle is named, with the setting that raises it
    expect(apiGateway.commandCalls(GetStageCommand)[0]?.args[0].input).toEqual({
      restApiId: 'api123',
      stageName: 'prod',
    });
    expect(result.stderr).toContain("--rate 2000 is above the stage's throttle of 1000 requests/s");
    expect(result.stderr).toContain('-c apiRateLimit');
    expect(result.code).toBe(0);
  });

  it('makes the key when the stage cannot be asked, saying the limits were not checked', async () => {
    // When the stream cannot be described (no permission)
    kinesis.on(DescribeStreamSummaryCommand).rejects(new Error('AccessDeniedException: not allowed'));
    const result = await created(aTarget(), { 'event-rate': '5000', 'event-burst': '5000' });

    // Then the key is made and the user knows the check did not happen
    expect(result.stderr).toContain('could not read the stream to check this key');
    expect(result.stderr).toContain('not allowed');
    expect(result.code).toBe(0);
  });
});

describe('keys create', () => {
  it('prints the secret once and stores only its hash, prefix and limits', async () => {
    // Given an existing account on the local stack
    const io = captured();
    dynamo.on(GetCommand, { TableName: 'accounts' }).resolves({ Item: { accountId: 'acct_a' } });
    dynamo.on(PutCommand).resolves({});

    // When a write key with its own limits is created
    const code = await create(
      {
        account: 'acct_a',
        scope: 'write',
        rate: '5',
        burst: '10',
        'event-rate': '200',
        'event-burst': '2000',
      },
      keyTablesOf(aTarget()),
      aTarget(),
      io.output,
    );

    // Then the secret is printed exactly once, and the stored item is its hash, never the secret
    expect(code).toBe(0);
    const secret = io.stdout().match(/secret: (wk_[A-Za-z0-9_-]+)/)?.[1] as string;
    expect(secret).toHaveLength(27);
    expect(io.stdout().split(secret)).toHaveLength(2);
    const put = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: 'api-keys',
      ConditionExpression: 'attribute_not_exists(keyHash)',
      Item: {
        keyHash: hashApiKey(secret),
        accountId: 'acct_a',
        scope: 'write',
        prefix: secret.slice(0, 7),
        rateLimit: 5,
        burstLimit: 10,
        eventRateLimit: 200,
        eventBurstLimit: 2000,
      },
    });
    expect(io.stdout()).toMatch(/5\/s, burst 10\s+200\/s, burst 2000/);
    expect(JSON.stringify(put)).not.toContain(secret);
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('refuses a key for an account that does not exist, naming the command that creates it', async () => {
    const io = captured();
    dynamo.on(GetCommand).resolves({});

    const code = await create(
      { account: 'acct_missing', scope: 'read' },
      keyTablesOf(aTarget()),
      aTarget(),
      io.output,
    );

    expect(code).toBe(1);
    expect(io.stderr()).toContain(
      'account acct_missing does not exist in local: create it with `pipeline accounts create`',
    );
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('refuses a missing account or a scope that is not write or read', async () => {
    const target = aTarget();
    await expect(create({ scope: 'write' }, keyTablesOf(target), target, captured().output)).rejects.toThrow(
      UsageError,
    );
    await expect(
      create({ account: 'acct_a', scope: 'admin' }, keyTablesOf(target), target, captured().output),
    ).rejects.toThrow('keys create needs --scope write or --scope read');
  });

  it('refuses an account id no account can have, before asking DynamoDB, naming --account', async () => {
    const target = aTarget();

    await expect(
      create({ account: 'a'.repeat(3000), scope: 'write' }, keyTablesOf(target), target, captured().output),
    ).rejects.toThrow(
      `--account must be 1 to 64 letters, digits, "_", "." or "-", got "${'a'.repeat(64)}…" (3000 characters)`,
    );
    await expect(
      create({ account: 'acct a\u001b[2J', scope: 'write' }, keyTablesOf(target), target, captured().output),
    ).rejects.toThrow('got "acct a?[2J"');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('on a deployed stage gives the key an API Gateway key valued with its hash, in the plan of its limits', async () => {
    // Given a deployed stage with no plan of 5 rps / burst 10 yet
    const target = aTarget(true);
    dynamo.on(GetCommand).resolves({ Item: { accountId: 'acct_a' } });
    dynamo.on(PutCommand).resolves({});
    apiGateway
      .on(GetUsagePlansCommand)
      .resolves({ items: [{ id: 'plan-other', name: 'api123-keys-1rps-1burst' }] });
    apiGateway.on(CreateUsagePlanCommand).resolves({ id: 'plan-5-10' });
    apiGateway.on(CreateApiKeyCommand).resolves({ id: 'apikey-1' });
    apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
    const io = captured();

    // When a key with those limits is created
    await create(
      { account: 'acct_a', scope: 'write', rate: '5', burst: '10' },
      keyTablesOf(target),
      target,
      io.output,
    );

    // Then the plan is created on the stage, and the API key (the hash, not the secret) is put in it
    const secret = io.stdout().match(/secret: (wk_[A-Za-z0-9_-]+)/)?.[1] as string;
    expect(apiGateway.commandCalls(CreateUsagePlanCommand)[0]?.args[0].input).toMatchObject({
      name: 'api123-keys-5rps-10burst',
      throttle: { rateLimit: 5, burstLimit: 10 },
      apiStages: [{ apiId: 'api123', stage: 'prod' }],
    });
    expect(apiGateway.commandCalls(CreateApiKeyCommand)[0]?.args[0].input).toMatchObject({
      value: hashApiKey(secret),
      enabled: true,
    });
    expect(apiGateway.commandCalls(CreateUsagePlanKeyCommand)[0]?.args[0].input).toEqual({
      usagePlanId: 'plan-5-10',
      keyId: 'apikey-1',
      keyType: 'API_KEY',
    });
  });

  it('on a deployed stage leaves nothing behind when API Gateway refuses the key half-way', async () => {
    // Given a stage whose API Gateway creates the API key but refuses to put it in the plan
    const target = aTarget(true);
    dynamo.on(GetCommand).resolves({ Item: { accountId: 'acct_a' } });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(DeleteCommand).resolves({});
    apiGateway.on(CreateApiKeyCommand).resolves({ id: 'apikey-3' });
    apiGateway
      .on(CreateUsagePlanKeyCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    apiGateway.on(GetApiKeysCommand).callsFake((input: { nameQuery: string }) => ({
      items: [{ id: 'apikey-3', name: input.nameQuery }],
    }));
    apiGateway.on(DeleteApiKeyCommand).resolves({});
    const io = captured();

    // When a key is created
    const creating = create({ account: 'acct_a', scope: 'write' }, keyTablesOf(target), target, io.output);

    // Then it fails saying nothing was created, shows no secret, and undoes the API key and the item
    await expect(creating).rejects.toThrow(
      'no key was created: API Gateway refused its API key (Rate exceeded); nothing was kept',
    );
    expect(io.stdout()).not.toMatch(/wk_/);
    const stored = dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item as ApiKeyItem;
    expect(apiGateway.commandCalls(DeleteApiKeyCommand)[0]?.args[0].input).toEqual({ apiKey: 'apikey-3' });
    expect(dynamo.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'api-keys',
      Key: { keyHash: stored.keyHash },
      ConditionExpression: 'keyId = :keyId AND attribute_not_exists(revokedAt)',
    });
  });

  it('puts a key without limits of its own in the default plan', async () => {
    const target = aTarget(true);
    dynamo.on(GetCommand).resolves({ Item: { accountId: 'acct_a' } });
    dynamo.on(PutCommand).resolves({});
    apiGateway.on(CreateApiKeyCommand).resolves({ id: 'apikey-2' });
    apiGateway.on(CreateUsagePlanKeyCommand).resolves({});

    await create({ account: 'acct_a', scope: 'read' }, keyTablesOf(target), target, captured().output);

    expect(apiGateway.commandCalls(GetUsagePlansCommand)).toHaveLength(0);
    expect(apiGateway.commandCalls(CreateUsagePlanKeyCommand)[0]?.args[0].input.usagePlanId).toBe(
      'plan-default',
    );
  });
});

describe('keys list', () => {
  it("shows ids, prefixes, limits and state, never a key's hash", async () => {
    const io = captured();
    dynamo.on(ScanCommand).resolves({
      Items: [
        aKeyItem({
          keyId: 'key_new',
          createdAt: '2026-11-21T10:00:00.000Z',
          rateLimit: 2,
          burstLimit: 4,
          eventRateLimit: 100,
          eventBurstLimit: 800,
        }),
        aKeyItem({ keyId: 'key_old', revokedAt: '2026-11-21T11:00:00.000Z' }),
      ],
    });

    expect(await list('acct_a', keyTablesOf(aTarget()), aTarget(), io.output)).toBe(0);

    expect(dynamo.commandCalls(ScanCommand)[0]?.args[0].input).toMatchObject({
      FilterExpression: 'accountId = :account',
      ExpressionAttributeValues: { ':account': 'acct_a' },
    });
    const text = io.stdout();
    expect(text).toContain('2 key(s) of account acct_a in local');
    expect(text.indexOf('key_old')).toBeLessThan(text.indexOf('key_new'));
    expect(text).toMatch(
      /key_new\s+acct_a\s+write\s+wk_AbCd…\s+2\/s, burst 4\s+100\/s, burst 800\s+2026-11-21 10:00:00\s+active/,
    );
    expect(text).toMatch(/key_old .* default\s+default\s+.* revoked 2026-11-21 11:00:00/);
    expect(text).not.toContain('f'.repeat(16));
  });
});

describe('keys list of hand-edited items', () => {
  it('shows the limits ingest and the gateway apply: a pair that is not two whole numbers from 1 is the defaults', async () => {
    const io = captured();
    const edited = (keyId: string, limits: Record<string, unknown>) =>
      ({ ...aKeyItem({ keyId }), ...limits }) as ApiKeyItem;
    dynamo.on(ScanCommand).resolves({
      Items: [
        edited('key_strings', {
          rateLimit: '20',
          burstLimit: '40',
          eventRateLimit: '900',
          eventBurstLimit: '900',
        }),
        edited('key_half', { rateLimit: 20, eventRateLimit: 900 }),
        edited('key_zero', { rateLimit: 0, burstLimit: 10, eventRateLimit: 1.5, eventBurstLimit: 600 }),
      ],
    });

    await list('acct_a', keyTablesOf(aTarget()), aTarget(), io.output);

    const rows = io
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('key_'));
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(row).toMatch(/wk_AbCd…\s+default \(stored .* ignored\)\s+default \(stored .* ignored\)\s+2026/);
  });
});

describe('keys revoke', () => {
  it('marks the key revoked once, conditionally, and says how soon it is refused', async () => {
    const io = captured();
    dynamo.on(ScanCommand).resolves({ Items: [aKeyItem()] });
    dynamo.on(UpdateCommand).resolves({});

    expect(await revoke('key_0123456789abcdef', keyTablesOf(aTarget()), aTarget(), io.output)).toBe(0);

    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { keyHash: 'f'.repeat(64) },
      ConditionExpression: 'attribute_exists(keyHash) AND attribute_not_exists(revokedAt)',
    });
    expect(io.stdout()).toContain('Revoked key key_0123456789abcdef (write, account acct_a) in local.');
    expect(io.stdout()).toContain('It is refused within 60 s');
  });

  it('says so when the key was already revoked, and fails for an unknown id', async () => {
    const io = captured();
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: [aKeyItem({ revokedAt: '2026-11-21T11:00:00.000Z' })] })
      .resolves({ Items: [] });
    dynamo
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }));

    expect(await revoke('key_0123456789abcdef', keyTablesOf(aTarget()), aTarget(), io.output)).toBe(0);
    expect(io.stdout()).toContain('was already revoked (2026-11-21T11:00:00.000Z)');
    expect(await revoke('key_unknown', keyTablesOf(aTarget()), aTarget(), io.output)).toBe(1);
    expect(io.stderr()).toContain('no key key_unknown in local');
  });

  it('on a deployed stage deletes its API Gateway key, which API Gateway refuses at once', async () => {
    const target = aTarget(true);
    const io = captured();
    dynamo.on(ScanCommand).resolves({ Items: [aKeyItem()] });
    dynamo.on(UpdateCommand).resolves({});
    apiGateway.on(GetApiKeysCommand).resolves({
      items: [
        { id: 'apikey-1', name: 'key_0123456789abcdef' },
        { id: 'apikey-9', name: 'key_0123456789abcdef0' },
      ],
    });
    apiGateway.on(DeleteApiKeyCommand).resolves({});

    await revoke('key_0123456789abcdef', keyTablesOf(target), target, io.output);

    expect(apiGateway.commandCalls(DeleteApiKeyCommand).map((call) => call.args[0].input)).toEqual([
      { apiKey: 'apikey-1' },
    ]);
    expect(io.stdout()).toContain('API Gateway refuses it at once');
  });
});

describe('--rate and --burst', () => {
  it('go together, as whole numbers, the burst at least the rate', () => {
    expect(parseLimits(undefined, undefined)).toEqual({});
    expect(parseLimits('5', '10')).toEqual({ rateLimit: 5, burstLimit: 10 });
    expect(() => parseLimits('5', undefined)).toThrow('--rate and --burst go together');
    expect(() => parseLimits('0', '10')).toThrow('--rate must be a whole number from 1 to 10000, got "0"');
    expect(() => parseLimits('2.5', '10')).toThrow('--rate must be a whole number');
    expect(() => parseLimits('5', '4')).toThrow(
      '--burst must be a whole number from the rate (5) to 10000, got "4"',
    );
  });

  it.each([
    ['an absurd rate', '99999999999999999999', '99999999999999999999', '--rate'],
    ['a burst over the limit', '10', '10001', '--burst'],
    ['a hexadecimal rate', '0x10', '100', '--rate'],
    ['an exponent', '5', '1e2', '--burst'],
    ['a signed rate', '+5', '10', '--rate'],
    ['an empty burst', '5', '', '--burst'],
  ])('refuse %s, naming the option and the limit', (_label, rate, burst, option) => {
    expect(() => parseLimits(rate, burst)).toThrow(new RegExp(`^${option} must be .* to ${MAX_KEY_LIMIT}`));
  });

  it('accept the limit itself', () => {
    expect(parseLimits(String(MAX_KEY_LIMIT), String(MAX_KEY_LIMIT))).toEqual({
      rateLimit: MAX_KEY_LIMIT,
      burstLimit: MAX_KEY_LIMIT,
    });
  });
});

describe('--event-rate and --event-burst', () => {
  it('go together, as whole numbers, the burst at least one full request', () => {
    expect(parseEventLimits(undefined, undefined)).toEqual({});
    expect(parseEventLimits('50', '500')).toEqual({ eventRateLimit: 50, eventBurstLimit: 500 });
    expect(parseEventLimits(String(MAX_KEY_EVENT_LIMIT), String(MAX_KEY_EVENT_LIMIT))).toEqual({
      eventRateLimit: MAX_KEY_EVENT_LIMIT,
      eventBurstLimit: MAX_KEY_EVENT_LIMIT,
    });
    expect(() => parseEventLimits('50', undefined)).toThrow('--event-rate and --event-burst go together');
    expect(() => parseEventLimits('0', '500')).toThrow(
      `--event-rate must be a whole number from 1 to ${MAX_KEY_EVENT_LIMIT}, got "0"`,
    );
    expect(() => parseEventLimits('1e3', '500')).toThrow('--event-rate must be a whole number');
    expect(() => parseEventLimits('50', '499')).toThrow(
      `--event-burst must be a whole number from 500 (one full request) to ${MAX_KEY_EVENT_LIMIT}, got "499"`,
    );
  });
});

describe('accounts create', () => {
  it('creates the account and a write key and a read key, each secret shown once', async () => {
    const io = captured();
    dynamo.on(PutCommand).resolves({});
    dynamo.on(GetCommand).resolves({ Item: { accountId: 'acct_shop' } });

    expect(await createAccount({ id: 'acct_shop', name: 'Shop' }, aTarget(), io.output)).toBe(0);

    const puts = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts[0]).toMatchObject({
      TableName: 'accounts',
      Item: { accountId: 'acct_shop', name: 'Shop' },
      ConditionExpression: 'attribute_not_exists(accountId)',
    });
    expect(puts.slice(1).map((put) => put.Item?.scope)).toEqual(['write', 'read']);
    const secrets = [...io.stdout().matchAll(/(?:wk|rk)_[A-Za-z0-9_-]{24}/g)].map((match) => match[0]);
    expect(secrets).toHaveLength(2);
    expect(puts.slice(1).map((put) => put.Item?.keyHash)).toEqual(secrets.map(hashApiKey));
  });

  it('shows the write key it made when the read key then fails, so no active key is left that nobody holds', async () => {
    // Given a stage whose API Gateway takes one API key, then refuses the next
    const io = captured();
    dynamo.on(PutCommand).resolves({});
    dynamo.on(DeleteCommand).resolves({});
    apiGateway.on(CreateApiKeyCommand).resolvesOnce({ id: 'apikey-w' }).rejects(new Error('Rate exceeded'));
    apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
    apiGateway.on(GetApiKeysCommand).resolves({ items: [] });

    // When an account is created with its keys
    const code = await createAccount({ id: 'acct_shop' }, aTarget(true), io.output);

    // Then it fails, naming the missing read key, and shows the write key's secret once
    expect(code).toBe(1);
    const writeItem = dynamo.commandCalls(PutCommand)[1]?.args[0].input.Item as ApiKeyItem;
    const secrets = [...io.stdout().matchAll(/wk_[A-Za-z0-9_-]{24}/g)].map((match) => match[0]);
    expect(secrets.map(hashApiKey)).toEqual([writeItem.keyHash]);
    expect(io.stderr()).toContain('the read key was not created (no key was created: API Gateway refused');
    expect(io.stderr()).toContain('pipeline keys create --account acct_shop --scope read');
  });

  it('refuses an id that is taken or not plain', async () => {
    const io = captured();
    dynamo
      .on(PutCommand)
      .rejects(Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }));

    expect(await createAccount({ id: 'acct_shop' }, aTarget(), io.output)).toBe(1);
    expect(io.stderr()).toContain('account acct_shop already exists in local');
    await expect(createAccount({ id: 'acct shop/1' }, aTarget(), io.output)).rejects.toThrow(
      '--id must be 1 to 64 letters',
    );
  });

  it.each([
    ['a newline', 'Shop\nAccount'],
    ['an escape sequence', 'Shop\u001b[2J'],
    ['257 characters', 'n'.repeat(257)],
  ])('refuses a name with %s, saying what a name may be', async (_case, name) => {
    await expect(createAccount({ id: 'acct_shop', name }, aTarget(), captured().output)).rejects.toThrow(
      '--name must be 1 to 256 characters without control characters (newlines, escape sequences)',
    );
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('keeps a name in any script, with spaces and emoji, as given', async () => {
    const io = captured();
    dynamo.on(PutCommand).resolves({});

    const code = await createAccount({ id: 'acct_shop', name: 'Café Ünïcode 商店 🎉' }, aTarget(), io.output);

    expect(code).toBe(0);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      name: 'Café Ünïcode 商店 🎉',
    });
  });
});
