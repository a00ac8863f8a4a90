import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DashboardSite } from '../constructs/dashboard-site.js';
import { EventsIndexTemplate } from '../constructs/events-index-template.js';
import { EventsRestApi } from '../constructs/events-rest-api.js';
import { acknowledge, applyBindings, HouseFunction } from '../constructs/house-function.js';
import { LiveEventsApi } from '../constructs/live-events-api.js';
import { pascal } from '../constructs/names.js';
import { PipelineAlarms } from '../constructs/pipeline-alarms.js';
import { SearchDomain } from '../constructs/search-domain.js';
import { STACK_OUTPUTS } from '../stack-outputs.js';
import {
  type AttributeType,
  apiSettingsEnv,
  EVENT_STREAM,
  FUNCTION_BINDINGS,
  FUNCTIONS,
  type FunctionId,
  QUEUES,
  STREAM_MAPPINGS,
  TABLES,
  type TableDefinition,
  type TableKey,
} from '../topology.js';
import { DEFAULT_SETTINGS, ON_DEMAND, type PipelineSettings } from './pipeline-settings.js';

export interface EventPipelineStackProps extends StackProps {
  /** Sizes, retention and limits; see `settingsFromContext`. */
  readonly settings?: PipelineSettings;
  /**
   * Test-only: prebuilt code for every function instead of bundling its entry, so stack tests run in
   * milliseconds and do not need the function sources. Never set by `bin/app.ts`.
   */
  readonly functionCode?: lambda.Code;
}

/**
 * The whole event pipeline in one stack, built from `lib/topology.ts`: REST and WebSocket APIs, the
 * functions, the Kinesis stream and its three event source mappings, the DynamoDB tables, the OpenSearch
 * domain with its events index template (applied by a custom resource before the indexer starts), the
 * dead-letter queue, the alarms, and the dashboard page (S3 + CloudFront).
 *
 * One stack because every part references the stream or the tables; splitting data and compute would
 * add cross-stack exports without letting either side deploy on its own.
 */
export class EventPipelineStack extends Stack {
  readonly functions: Record<FunctionId, HouseFunction>;
  readonly stream: kinesis.Stream;
  readonly tables: Record<TableKey, dynamodb.Table>;
  readonly deadLetterQueue: sqs.Queue;
  /** Applies the events index template to the domain during deployment. */
  readonly eventsIndexTemplate: EventsIndexTemplate;

  constructor(scope: Construct, id: string, props: EventPipelineStackProps = {}) {
    super(scope, id, props);
    const settings = props.settings ?? DEFAULT_SETTINGS;
    const logRetention = retentionDays(settings.logRetentionDays);
    // Kept when the stack is deleted or an update replaces them, but not when the deployment that
    // created them fails and rolls back (RetainExceptOnCreate): plain Retain would leave a failed first
    // deploy's domain and stream billing, unused, and a retry would create second ones beside them.
    const dataRemovalPolicy = settings.retainData
      ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
      : RemovalPolicy.DESTROY;

    this.stream = new kinesis.Stream(this, 'EventStream', {
      ...(settings.streamShards === ON_DEMAND
        ? { streamMode: kinesis.StreamMode.ON_DEMAND }
        : { shardCount: settings.streamShards, streamMode: kinesis.StreamMode.PROVISIONED }),
      retentionPeriod: Duration.hours(EVENT_STREAM.retentionHours),
      // The AWS-managed key (aws/kinesis): a customer key would add a KMS call per producer and consumer
      // request, with nothing to gain for this data (cdk-nag AwsSolutions-KDS3).
      encryption: kinesis.StreamEncryption.MANAGED,
      removalPolicy: dataRemovalPolicy,
    });

    this.tables = Object.fromEntries(
      (Object.keys(TABLES) as TableKey[]).map((key) => [
        key,
        this.table(key, TABLES[key], dataRemovalPolicy),
      ]),
    ) as Record<TableKey, dynamodb.Table>;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(QUEUES.deadLetter.retentionDays),
      // SSE-SQS: encrypted at rest without a key policy to keep in step with every sender.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: dataRemovalPolicy,
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the pipeline (function dead letters and mapping on-failure records); it is the end of the line.',
    );

    const search = new SearchDomain(this, 'Search', {
      instanceType: settings.opensearchInstanceType,
      dataNodes: settings.opensearchDataNodes,
      volumeGb: settings.opensearchVolumeGb,
      multiAz: settings.opensearchMultiAz,
      masterNodes: settings.opensearchMasterNodes,
      masterInstanceType: settings.opensearchMasterInstanceType,
      logRetention,
      removalPolicy: dataRemovalPolicy,
    });

    this.functions = Object.fromEntries(
      Object.values(FUNCTIONS).map((definition) => [
        definition.id,
        new HouseFunction(this, pascal(definition.id), {
          definition,
          logRetention,
          code: props.functionCode,
        }),
      ]),
    ) as Record<FunctionId, HouseFunction>;

    const restApi = new EventsRestApi(this, 'RestApi', {
      functions: this.functions,
      rateLimit: settings.apiRateLimit,
      burstLimit: settings.apiBurstLimit,
      keyRateLimit: settings.keyRateLimit,
      keyBurstLimit: settings.keyBurstLimit,
      corsAllowedOrigins: settings.corsAllowedOrigins,
      logRetention,
    });
    const liveApi = new LiveEventsApi(this, 'LiveApi', {
      functions: this.functions,
      rateLimit: settings.apiRateLimit,
      burstLimit: settings.apiBurstLimit,
      logRetention,
    });
    // API Gateway writes a WebSocket stage's logs with the region's CloudWatch role, which the REST API
    // sets: in a region where none was ever set, a logging stage created first fails the deployment
    // ("CloudWatch Logs role ARN must be set in account settings to enable logging").
    liveApi.stage.node.addDependency(restApi.cloudWatchAccount);

    const cursorSigningKey = new secretsmanager.Secret(this, 'CursorSigningKey', {
      description: 'HMAC key of the stats API event-search cursors',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledge(
      cursorSigningKey,
      'AwsSolutions-SMG4',
      'Signs paging cursors that live 2 minutes; rotating it needs a redeploy (the functions get it at deployment) and only ends the paging in flight, so it is rotated by replacing the secret, not on a schedule.',
    );

    for (const fn of Object.values(this.functions)) {
      for (const [name, value] of Object.entries(apiSettingsEnv(fn.definition.id, settings))) {
        fn.setEnv(name, value);
      }
      applyBindings(fn, FUNCTION_BINDINGS[fn.definition.id], {
        stream: this.stream,
        tables: this.tables,
        domain: search.domain,
        deadLetterQueue: this.deadLetterQueue,
        webSocketStage: liveApi.stage,
        cursorSigningKey,
      });
    }

    this.eventsIndexTemplate = new EventsIndexTemplate(this, 'EventsIndexTemplate', {
      domain: search.domain,
      dataNodes: settings.opensearchDataNodes,
      logRetention,
      code: props.functionCode,
    });

    for (const mapping of STREAM_MAPPINGS) {
      const fn = this.functions[mapping.functionId];
      const source = new KinesisEventSource(this.stream, {
        batchSize: mapping.batchSize,
        maxBatchingWindow: Duration.seconds(mapping.maximumBatchingWindowInSeconds),
        startingPosition: lambda.StartingPosition[mapping.startingPosition],
        retryAttempts: mapping.maximumRetryAttempts,
        maxRecordAge: Duration.seconds(mapping.maximumRecordAgeInSeconds),
        bisectBatchOnError: mapping.bisectBatchOnFunctionError,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        parallelizationFactor: mapping.parallelizationFactor,
        // Only batch metadata arrives here; functions dead-letter payloads themselves (docs/decisions.md).
        onFailure: new SqsDlq(this.deadLetterQueue),
      });
      fn.function.addEventSource(source);
      if (FUNCTION_BINDINGS[mapping.functionId].opensearch) {
        // A consumer that writes to OpenSearch starts reading only once the index template is in the
        // domain; otherwise its first write would create the daily index with dynamic mappings.
        mappingOf(fn, source).node.addDependency(this.eventsIndexTemplate.resource);
      }
    }

    // Optional: AWS refuses CloudFront resources in a new account until AWS Support verifies it ("Your
    // account must be verified before you can add new CloudFront resources"), and only the page needs them.
    const dashboard = settings.dashboard
      ? new DashboardSite(this, 'Dashboard', {
          restApi: restApi.api,
          webSocketUrl: liveApi.stage.url,
          logRetention,
        })
      : undefined;

    new PipelineAlarms(this, 'Alarms', {
      functions: this.functions,
      deadLetterQueue: this.deadLetterQueue,
      restApi: restApi.api,
      removalPolicy: dataRemovalPolicy,
      alarmEmail: settings.alarmEmail,
    });

    // The command-line tools find a deployed stage's resources through these outputs (cli/target.ts).
    const outputs: Record<keyof typeof STACK_OUTPUTS, { value: string; description: string } | undefined> = {
      restApiUrl: { value: restApi.api.url, description: 'Base URL of the REST API' },
      webSocketUrl: { value: liveApi.stage.url, description: 'wss:// URL for dashboards' },
      openSearchEndpoint: {
        value: `https://${search.domain.domainEndpoint}`,
        description: 'OpenSearch domain endpoint',
      },
      streamName: { value: this.stream.streamName, description: 'Kinesis stream of accepted events' },
      deadLetterQueueUrl: {
        value: this.deadLetterQueue.queueUrl,
        description: 'Dead letters (payload and reason) and on-failure records of the mappings',
      },
      apiKeysTableName: { value: this.tables.apiKeys.tableName, description: 'Hashed API keys' },
      accountsTableName: { value: this.tables.accounts.tableName, description: 'Accounts' },
      restApiId: { value: restApi.api.restApiId, description: 'REST API id (usage plans of the keys)' },
      restApiStage: { value: restApi.api.deploymentStage.stageName, description: 'REST API stage' },
      defaultUsagePlanId: {
        value: restApi.defaultUsagePlan.usagePlanId,
        description: 'Usage plan of keys without limits of their own',
      },
      rollupsTableName: { value: this.tables.rollups.tableName, description: 'Per-account rollups' },
      connectionsTableName: {
        value: this.tables.connections.tableName,
        description: 'Live WebSocket connections',
      },
      dashboardUrl: dashboard && {
        value: dashboard.url,
        description: 'The live dashboard page (sign in with a read key)',
      },
    };
    for (const [key, output] of Object.entries(outputs)) {
      if (output) new CfnOutput(this, STACK_OUTPUTS[key as keyof typeof STACK_OUTPUTS], output);
    }
  }

  private table(key: TableKey, definition: TableDefinition, removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, `${pascal(key)}Table`, {
      partitionKey: attribute(definition.partitionKey),
      sortKey: definition.sortKey ? attribute(definition.sortKey) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.timeToLiveAttribute,
      removalPolicy,
    });
    for (const gsi of definition.globalSecondaryIndexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: attribute(gsi.partitionKey),
        sortKey: gsi.sortKey ? attribute(gsi.sortKey) : undefined,
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}

/** The mapping construct `addEventSource` created for `source` (the event source exposes only its id). */
function mappingOf(fn: HouseFunction, source: KinesisEventSource): lambda.EventSourceMapping {
  const mapping = fn.function.node.children.find(
    (child): child is lambda.EventSourceMapping =>
      child instanceof lambda.EventSourceMapping &&
      child.eventSourceMappingId === source.eventSourceMappingId,
  );
  if (!mapping) throw new Error(`${fn.node.path} has no event source mapping for its stream`);
  return mapping;
}

function attribute(key: { name: string; type: AttributeType }): dynamodb.Attribute {
  return {
    name: key.name,
    type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
  };
}

function retentionDays(days: number): logs.RetentionDays {
  const valid = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!valid.includes(days)) {
    throw new Error(
      `logRetentionDays must be one of CloudWatch's retention periods (${valid.join(', ')}), got ${days}`,
    );
  }
  return days as logs.RetentionDays;
}
