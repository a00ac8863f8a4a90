/**
 * The local stack (`local/`) runs the functions with the settings in `lib/topology.ts`. These tests
 * read the synthesized CloudFormation template back and compare it with the same topology (and each
 * function's resource variables with what `local/function-environment.ts` gives it), so what is tested
 * locally and what is deployed cannot drift apart silently.
 */
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/env-names.js';
import {
  type AnyFunctionDefinition,
  DEPLOY_FUNCTIONS,
  FUNCTIONS,
  type FunctionId,
  type KeyAttribute,
  STREAM_MAPPINGS,
  type StreamMappingDefinition,
  TABLES,
  type TableDefinition,
  type TableKey,
} from '../../lib/topology.js';
import { type LocalResourceEndpoints, localFunctionEnvironment } from '../../local/function-environment.js';
import { pipeline } from './pipeline.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** Placeholder endpoints: only which variables a function gets is compared, not their values. */
const LOCAL_ENDPOINTS: LocalResourceEndpoints = {
  region: 'us-east-1',
  kinesisUrl: 'http://127.0.0.1:1',
  dynamodbUrl: 'http://127.0.0.1:2',
  sqsUrl: 'http://127.0.0.1:3',
  opensearchUrl: 'http://127.0.0.1:4',
  streamName: 'events',
  tableNames: {
    apiKeys: 'api-keys',
    accounts: 'accounts',
    rollups: 'rollups',
    connections: 'connections',
    liveTokens: 'live-tokens',
    admission: 'admission',
  },
  deadLetterQueueUrl: 'http://127.0.0.1:3/queue/dead-letter',
  websocketManagementEndpoint: 'http://127.0.0.1:5/prod',
  cursorSigningKey: 'placeholder-cursor-signing-key-of-32-characters',
};

// The template the cdk project's global setup synthesized (test/setup/cdk-pipeline.ts).
const { template, ids } = pipeline();
const resources: Record<string, Resource> = template.toJSON().Resources;

function functionIdOfLogicalId(id: string): FunctionId {
  const match = (Object.keys(FUNCTIONS) as FunctionId[]).find((fnId) => ids.functions[fnId].function === id);
  if (!match) throw new Error(`No topology function is synthesized as ${id}`);
  return match;
}

/** The topology id of a synthesized function, whether it serves events or runs during deployment. */
function topologyIdOfLogicalId(id: string): AnyFunctionDefinition['id'] {
  if (id === ids.indexTemplate.installer.function) {
    return 'index-template-installer';
  }
  return functionIdOfLogicalId(id);
}

/**
 * The functions aws-cdk-lib adds for deployments (not ours, so not in the topology): the custom resource
 * provider framework's, and the one that copies the dashboard page to its bucket.
 */
function deploymentHelperFunctionIds(): string[] {
  return [ids.indexTemplate.providerFunction, ids.dashboard.deploymentFunction];
}

/** A mapping's settings as the topology names them, read from its CloudFormation properties. */
function settingsOf(properties: Record<string, unknown>): StreamMappingDefinition {
  return {
    functionId: functionIdOfLogicalId((properties.FunctionName as { Ref: string }).Ref),
    batchSize: properties.BatchSize as number,
    maximumBatchingWindowInSeconds: properties.MaximumBatchingWindowInSeconds as number,
    startingPosition: properties.StartingPosition as StreamMappingDefinition['startingPosition'],
    maximumRetryAttempts: properties.MaximumRetryAttempts as number,
    maximumRecordAgeInSeconds: properties.MaximumRecordAgeInSeconds as number,
    bisectBatchOnFunctionError: properties.BisectBatchOnFunctionError as boolean,
    reportBatchItemFailures: (properties.FunctionResponseTypes as string[]).includes(
      'ReportBatchItemFailures',
    ) as true,
    parallelizationFactor: properties.ParallelizationFactor as number,
  };
}

describe('deployed settings equal the topology the local stack runs', () => {
  it('every event source mapping has exactly the settings of its STREAM_MAPPINGS entry', () => {
    const deployed = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
      .map((r) => settingsOf(r.Properties));
    const byFunction = (a: StreamMappingDefinition, b: StreamMappingDefinition) =>
      a.functionId.localeCompare(b.functionId);
    expect(deployed.sort(byFunction)).toEqual([...STREAM_MAPPINGS].sort(byFunction));
  });

  it('every function has the memory and timeout of its FUNCTIONS or DEPLOY_FUNCTIONS entry', () => {
    const deployed = Object.entries(resources)
      .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && !deploymentHelperFunctionIds().includes(id))
      .map(([id, r]) => {
        const fnId = topologyIdOfLogicalId(id);
        return [
          fnId,
          { memorySizeMb: r.Properties.MemorySize, timeoutSeconds: r.Properties.Timeout },
        ] as const;
      });
    const expected = [...Object.values(FUNCTIONS), ...Object.values(DEPLOY_FUNCTIONS)].map(
      (fn) => [fn.id, { memorySizeMb: fn.memorySizeMb, timeoutSeconds: fn.timeoutSeconds }] as const,
    );
    expect(Object.fromEntries(deployed)).toEqual(Object.fromEntries(expected));
  });

  it.each(Object.keys(TABLES) as TableKey[])(
    'the %s table has the keys, TTL and indexes of TABLES',
    (key) => {
      const definition: TableDefinition = TABLES[key];
      const table = resources[ids.tables[key]];
      if (!table) throw new Error(`${key} table not synthesized`);
      const p = table.Properties as {
        KeySchema: { AttributeName: string; KeyType: string }[];
        AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
        TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
        GlobalSecondaryIndexes?: {
          IndexName: string;
          KeySchema: { AttributeName: string; KeyType: string }[];
        }[];
      };
      const keySchema = (partitionKey: KeyAttribute, sortKey?: KeyAttribute) => [
        { AttributeName: partitionKey.name, KeyType: 'HASH' },
        ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' }] : []),
      ];
      expect(p.KeySchema).toEqual(keySchema(definition.partitionKey, definition.sortKey));
      expect(p.TimeToLiveSpecification).toEqual(
        definition.timeToLiveAttribute
          ? { AttributeName: definition.timeToLiveAttribute, Enabled: true }
          : undefined,
      );
      expect(
        (p.GlobalSecondaryIndexes ?? []).map((gsi) => ({ name: gsi.IndexName, keys: gsi.KeySchema })),
      ).toEqual(
        (definition.globalSecondaryIndexes ?? []).map((gsi) => ({
          name: gsi.indexName,
          keys: keySchema(gsi.partitionKey, gsi.sortKey),
        })),
      );
      // Every key attribute is declared with the topology's type.
      const keyAttributes = [
        definition.partitionKey,
        definition.sortKey,
        ...(definition.globalSecondaryIndexes ?? []).flatMap((gsi) => [gsi.partitionKey, gsi.sortKey]),
      ].filter((a): a is KeyAttribute => a !== undefined);
      expect(p.AttributeDefinitions.sort((a, b) => a.AttributeName.localeCompare(b.AttributeName))).toEqual(
        [
          ...new Map(
            keyAttributes.map((a) => [a.name, { AttributeName: a.name, AttributeType: a.type }]),
          ).values(),
        ].sort((a, b) => a.AttributeName.localeCompare(b.AttributeName)),
      );
    },
  );

  it.each(Object.keys(FUNCTIONS) as FunctionId[])(
    '%s gets the same resource variables as in the local stack',
    (id) => {
      const resourceVariables: string[] = Object.values(ENV);
      const fn = resources[ids.functions[id].function];
      if (!fn) throw new Error(`${id} function not synthesized`);
      const deployed = Object.keys(
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
      ).filter((name) => resourceVariables.includes(name));
      const local = Object.keys(localFunctionEnvironment(id, LOCAL_ENDPOINTS)).filter((name) =>
        resourceVariables.includes(name),
      );
      expect(deployed.sort()).toEqual(local.sort());
    },
  );

  it('deploys no table, mapping or function that the topology does not describe', () => {
    const count = (type: string) => Object.values(resources).filter((r) => r.Type === type).length;
    expect(count('AWS::DynamoDB::Table')).toBe(Object.keys(TABLES).length);
    expect(count('AWS::Lambda::EventSourceMapping')).toBe(STREAM_MAPPINGS.length);
    // Besides the topology's functions, only aws-cdk-lib's own deployment helpers.
    expect(count('AWS::Lambda::Function')).toBe(
      Object.keys(FUNCTIONS).length +
        Object.keys(DEPLOY_FUNCTIONS).length +
        deploymentHelperFunctionIds().length,
    );
    for (const id of deploymentHelperFunctionIds()) expect(resources[id]?.Type).toBe('AWS::Lambda::Function');
  });
});
