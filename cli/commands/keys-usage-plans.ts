/**
 * A deployed stage's side of a key: its API Gateway API key, whose value is the key's hash (never the
 * key: API Gateway can show a key's value), in the usage plan of its limits. Keys without limits of
 * their own go in the stack's default plan; a key with `--rate`/`--burst` goes in a plan of exactly
 * those limits, created the first time and shared after (`<api>-keys-<rate>rps-<burst>burst`): plans
 * are few (300 per region by default), keys many (10,000). Revoking deletes the API key, which API
 * Gateway refuses at once, whatever the functions' key caches still hold.
 */
import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeysCommand,
  NotFoundException,
  paginateGetUsagePlans,
} from '@aws-sdk/client-api-gateway';

export interface StageUsagePlans {
  apiGateway: APIGatewayClient;
  restApiId: string;
  stage: string;
  defaultUsagePlanId: string;
}

export interface KeyLimits {
  rateLimit: number;
  burstLimit: number;
}

/** Creates the API key of `keyId` with the key's hash as its value, in the plan of `limits`. */
export async function attachApiKey(
  plans: StageUsagePlans,
  key: { keyId: string; keyHash: string; accountId: string },
  limits: KeyLimits | undefined,
): Promise<{ apiKeyId: string; usagePlanId: string }> {
  const usagePlanId = limits ? await planOfLimits(plans, limits) : plans.defaultUsagePlanId;
  const { id } = await plans.apiGateway.send(
    new CreateApiKeyCommand({
      name: key.keyId,
      description: `API key ${key.keyId} of account ${key.accountId}`,
      value: key.keyHash,
      enabled: true,
    }),
  );
  if (!id) throw new Error(`API Gateway created no API key for ${key.keyId}`);
  await plans.apiGateway.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: id, keyType: 'API_KEY' }));
  return { apiKeyId: id, usagePlanId };
}

/** Deletes the API key named `keyId` (none is fine: the key may predate usage plans). */
export async function deleteApiKey(plans: StageUsagePlans, keyId: string): Promise<boolean> {
  const { items = [] } = await plans.apiGateway.send(new GetApiKeysCommand({ nameQuery: keyId, limit: 500 }));
  const matches = items.filter((item) => item.name === keyId && item.id);
  for (const item of matches) {
    try {
      await plans.apiGateway.send(new DeleteApiKeyCommand({ apiKey: item.id }));
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
  }
  return matches.length > 0;
}

/** The usage plan of `limits` on this stage, created when there is none yet. */
async function planOfLimits(plans: StageUsagePlans, limits: KeyLimits): Promise<string> {
  const name = `${plans.restApiId}-keys-${limits.rateLimit}rps-${limits.burstLimit}burst`;
  for await (const page of paginateGetUsagePlans({ client: plans.apiGateway }, {})) {
    const found = (page.items ?? []).find((plan) => plan.name === name && plan.id);
    if (found?.id) return found.id;
  }
  const { id } = await plans.apiGateway.send(
    new CreateUsagePlanCommand({
      name,
      description: `API keys limited to ${limits.rateLimit} requests/s, bursts of ${limits.burstLimit}`,
      throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
      apiStages: [{ apiId: plans.restApiId, stage: plans.stage }],
    }),
  );
  if (!id) throw new Error(`API Gateway created no usage plan ${name}`);
  return id;
}
