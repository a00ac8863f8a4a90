/**
 * Creates the local stack's resources from the topology (the same definitions the CDK stack deploys):
 * the Kinesis stream, the DynamoDB tables, the dead-letter queue and the OpenSearch index template.
 * Idempotent, so a restart against servers that kept their data works.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException as StreamInUseException,
} from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { applyEventsIndexTemplate } from '../lambdas/indexer/template-installer-core.js';
import {
  EVENT_STREAM,
  OPENSEARCH,
  QUEUES,
  TABLES,
  type TableDefinition,
  type TableKey,
} from '../lib/topology.js';
import { localDynamoDb, localKinesis, localOpenSearch, localSqs } from './services/local-clients.js';

/** Names, URLs and ARNs of the provisioned resources, for function environments and tests. */
export interface LocalResources {
  streamName: string;
  streamArn: string;
  tableNames: Record<TableKey, string>;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

/** Endpoints of the running emulators (see `local/services/`). */
export interface ProvisionOptions {
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  opensearchEndpoint: string;
  region: string;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
}

/** The CreateTable input of a topology table, as the deployed stack defines it. */
export function createTableInput(name: string, table: TableDefinition): CreateTableCommandInput {
  const keys = [
    table.partitionKey,
    table.sortKey,
    ...(table.globalSecondaryIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey]),
  ].filter((key) => key !== undefined);
  const attributes = [...new Map(keys.map((key) => [key.name, key])).values()];
  const keySchema = (partition: { name: string }, sort?: { name: string }) => [
    { AttributeName: partition.name, KeyType: 'HASH' as const },
    ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    GlobalSecondaryIndexes: table.globalSecondaryIndexes?.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

/** Creates (or finds) every resource and returns their names, URLs and ARNs. */
export async function provisionLocalResources(options: ProvisionOptions): Promise<LocalResources> {
  const kinesis = localKinesis(options.kinesisEndpoint, { region: options.region });
  const dynamodb = localDynamoDb(options.dynamodbEndpoint, { region: options.region });
  const sqs = localSqs(options.sqsEndpoint, { region: options.region });
  const search = localOpenSearch(options.opensearchEndpoint);
  try {
    const streamName = EVENT_STREAM.id;
    const [streamArn, tableNames, queue] = await Promise.all([
      (async () => {
        try {
          await kinesis.send(
            new CreateStreamCommand({ StreamName: streamName, ShardCount: EVENT_STREAM.shardCount }),
          );
        } catch (error) {
          if (!(error instanceof StreamInUseException)) throw error;
        }
        return until(`stream ${streamName} becoming ACTIVE`, async () => {
          const { StreamDescriptionSummary: summary } = await kinesis.send(
            new DescribeStreamSummaryCommand({ StreamName: streamName }),
          );
          return summary?.StreamStatus === 'ACTIVE' ? summary.StreamARN : undefined;
        });
      })(),
      (async () => {
        const names = {} as Record<TableKey, string>;
        for (const [key, table] of Object.entries(TABLES) as [TableKey, TableDefinition][]) {
          const name = table.id;
          try {
            await dynamodb.send(new CreateTableCommand(createTableInput(name, table)));
          } catch (error) {
            if (!(error instanceof ResourceInUseException)) throw error;
          }
          await until(`table ${name} becoming ACTIVE`, async () => {
            const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
            return Table?.TableStatus === 'ACTIVE' ? true : undefined;
          });
          if (table.timeToLiveAttribute) {
            await dynamodb
              .send(
                new UpdateTimeToLiveCommand({
                  TableName: name,
                  TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
                }),
              )
              // Already enabled after a restart: DynamoDB answers ValidationException.
              .catch((error: Error) => {
                if (error.name !== 'ValidationException') throw error;
              });
          }
          names[key] = name;
        }
        return names;
      })(),
      (async () => {
        const { QueueUrl } = await sqs.send(
          new CreateQueueCommand({
            QueueName: QUEUES.deadLetter.id,
            Attributes: { MessageRetentionPeriod: String(QUEUES.deadLetter.retentionDays * 24 * 3600) },
          }),
        );
        if (!QueueUrl) throw new Error('ElasticMQ returned no queue URL');
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
        );
        return { url: QueueUrl, arn: Attributes?.QueueArn ?? '' };
      })(),
      // The installer the deployed stack runs as a custom resource, with the same client library.
      applyEventsIndexTemplate(search, OPENSEARCH.eventsIndexPrefix),
    ]);
    return {
      streamName,
      streamArn,
      tableNames,
      deadLetterQueueUrl: queue.url,
      deadLetterQueueArn: queue.arn,
    };
  } finally {
    kinesis.destroy();
    dynamodb.destroy();
    sqs.destroy();
    await search.close();
  }
}
