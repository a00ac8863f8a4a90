/**
 * What `keys create` says when a key's own limits ask for more than the stage can give: an event rate
 * above what the stream takes (1,000 records a second per shard, for every account together) or a
 * request rate above the stage's throttle (all keys together). Such a limit never binds: the key is
 * held by the stage first, and on the stream its traffic takes capacity from every other account.
 * Warnings, not refusals: shards can be added and the throttle raised after the key is made, and a
 * stage that cannot be asked (no permission, a network error) is said so and the key made anyway.
 */
import { type APIGatewayClient, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ON_DEMAND_FIRST_EVENTS_PER_SECOND,
  SHARD_EVENTS_PER_SECOND,
} from '../../lib/stacks/pipeline-settings.js';

/** The stage a key is made on, as far as its limits go. */
export interface StageCapacity {
  kinesis: KinesisClient;
  streamName: string;
  /** A deployed stage's REST API (none locally: the local gateway has no stage throttle). */
  restApi?: { apiGateway: APIGatewayClient; restApiId: string; stage: string };
}

/** Warnings about `limits` on this stage, each a sentence saying what to do. */
export async function keyLimitWarnings(
  stage: StageCapacity,
  limits: { rateLimit?: number; eventRateLimit?: number },
): Promise<string[]> {
  const warnings: string[] = [];
  if (limits.eventRateLimit !== undefined) {
    warnings.push(
      ...(await checked('the stream', () => eventRateWarning(stage, limits.eventRateLimit as number))),
    );
  }
  if (limits.rateLimit !== undefined && stage.restApi) {
    const { restApi } = stage;
    warnings.push(
      ...(await checked("the stage's throttle", () => rateWarning(restApi, limits.rateLimit as number))),
    );
  }
  return warnings;
}

async function checked(what: string, check: () => Promise<string[]>): Promise<string[]> {
  try {
    return await check();
  } catch (error) {
    return [`could not read ${what} to check this key's limits against it (${(error as Error).message})`];
  }
}

async function eventRateWarning(stage: StageCapacity, eventRate: number): Promise<string[]> {
  const { StreamDescriptionSummary: summary } = await stage.kinesis.send(
    new DescribeStreamSummaryCommand({ StreamName: stage.streamName }),
  );
  const onDemand = summary?.StreamModeDetails?.StreamMode === 'ON_DEMAND';
  const shards = summary?.OpenShardCount ?? 0;
  const takes = onDemand ? ON_DEMAND_FIRST_EVENTS_PER_SECOND : shards * SHARD_EVENTS_PER_SECOND;
  if (eventRate <= takes) return [];
  const why = onDemand
    ? 'an on-demand stream, until it has seen a higher peak'
    : `${shards} open shard(s) x ${SHARD_EVENTS_PER_SECOND}`;
  return [
    `warning: --event-rate ${eventRate} is above the ${takes} events/s the stream takes (${why}), for all accounts together: past it ingest answers 503 for every account. Add shards (setting streamShards) or give the key a lower --event-rate.`,
  ];
}

async function rateWarning(restApi: NonNullable<StageCapacity['restApi']>, rate: number): Promise<string[]> {
  const stage = await restApi.apiGateway.send(
    new GetStageCommand({ restApiId: restApi.restApiId, stageName: restApi.stage }),
  );
  const stageRate = stage.methodSettings?.['*/*']?.throttlingRateLimit;
  if (stageRate === undefined || rate <= stageRate) return [];
  return [
    `warning: --rate ${rate} is above the stage's throttle of ${stageRate} requests/s for all keys together, which holds this key first. Raise -c apiRateLimit or give the key a lower --rate.`,
  ];
}
