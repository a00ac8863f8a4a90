import * as path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../../lambdas/shared/env-names.js';
import {
  type Access,
  type AnyFunctionDefinition,
  BINDING_ENV,
  BUNDLING,
  type FunctionBindings,
  type FunctionDefinition,
  LAMBDA_RUNTIME,
  OPENSEARCH,
  REPO_ROOT,
  TABLES,
  type TableDefinition,
  type TableKey,
} from '../topology.js';

/** Re-exported for the CDK tests, which resolve entries against it. */
export { REPO_ROOT };

export interface HouseFunctionProps<D extends AnyFunctionDefinition = FunctionDefinition> {
  /**
   * The function's entry in `FUNCTIONS` (or, for a function that runs only during deployment, in
   * `DEPLOY_FUNCTIONS`): entry, handler, memory, timeout, description.
   */
  readonly definition: D;
  /** How long the function's own log group keeps its logs. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log group when the stack is deleted. */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Prebuilt code instead of bundling the entry. Only tests set this: it keeps synthesis fast and
   * independent of whether the function code exists yet. Everything else (runtime, role, logging,
   * environment) stays exactly as deployed.
   */
  readonly code?: lambda.Code;
}

/**
 * The house Lambda function: every function in the system is one of these, so they all share the same
 * runtime, architecture, structured logging, tracing, log retention and bundling, and none can drift.
 *
 * Resources reach a function only through the `bind*` helpers below, which grant the permission and set
 * the environment variable naming the resource in one call.
 */
export class HouseFunction<D extends AnyFunctionDefinition = FunctionDefinition> extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  readonly definition: D;

  constructor(scope: Construct, id: string, props: HouseFunctionProps<D>) {
    super(scope, id);
    const { definition } = props;
    this.definition = definition;

    // An explicit log group, so retention is ours rather than "never expire", and it is removed or
    // kept together with the stack instead of being created lazily by Lambda on first invocation.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    // Our own role instead of the AWSLambdaBasicExecutionRole managed policy: it may write only to its
    // own log group, not to every log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${definition.id} function`,
    });
    this.logGroup.grantWrite(this.role);

    const runtime = lambda.Runtime.NODEJS_22_X;
    if (runtime.name !== LAMBDA_RUNTIME.name) {
      // The local stack bundles for LAMBDA_RUNTIME; deploying another runtime would test other code.
      throw new Error(`HouseFunction runtime ${runtime.name} differs from topology ${LAMBDA_RUNTIME.name}`);
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: definition.description,
      entry: path.join(REPO_ROOT, definition.entry),
      handler: props.code ? `index.${definition.handler}` : definition.handler,
      code: props.code,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: definition.memorySizeMb,
      timeout: Duration.seconds(definition.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Pass-through, not active: a request API Gateway traced is traced through the function (the
      // Lambda service records its segment); the function samples nothing itself. Capturing the SDK
      // clients with Powertools Tracer would add ~125 KB to every bundle (docs/decisions.md, "Tracing").
      tracing: lambda.Tracing.PASS_THROUGH,
      environment: {
        // Stack traces point at the TypeScript sources, through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: definition.id,
      },
      bundling: {
        format: BUNDLING.format === 'cjs' ? nodejs.OutputFormat.CJS : nodejs.OutputFormat.ESM,
        target: BUNDLING.target,
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        externalModules: [...BUNDLING.externalModules],
        mainFields: [...BUNDLING.mainFields],
        // Rendered by the CDK as `--alias:<package>=<replacement>`, one per entry.
        esbuildArgs: { '--alias': Object.entries(BUNDLING.alias).map(([from, to]) => `${from}=${to}`) },
        // esbuild is a dev dependency: bundle on this machine, never in Docker.
        forceDockerBundling: false,
      },
    });

    // Tracing (pass-through too) adds xray:PutTraceSegments / PutTelemetryRecords on "*".
    acknowledge(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.',
    );
    // The runtime is pinned on purpose (see LAMBDA_RUNTIME): local bundles for the same target.
    acknowledge(
      this,
      'AwsSolutions-L1',
      `Runtime is pinned to ${LAMBDA_RUNTIME.name}, the target the local stack bundles for (LAMBDA_RUNTIME in lib/topology.ts); upgrade both together.`,
    );
  }

  /** Sets an environment variable on the function. Only the bind helpers should call this. */
  setEnv(name: string, value: string): void {
    this.function.addEnvironment(name, value);
  }
}

/**
 * The role and log group of one of aws-cdk-lib's deployment-time helper functions (a custom resource
 * provider framework, a bucket deployment): an explicit log group (retention, removed with the stack),
 * and a role that may write only to it, instead of the AWSLambdaBasicExecutionRole managed policy.
 */
export function deploymentHelperRole(
  scope: Construct,
  ids: { role: string; logGroup: string },
  description: string,
  logRetention: logs.RetentionDays,
): { role: iam.Role; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, ids.logGroup, {
    retention: logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, ids.role, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  logGroup.grantWrite(role);
  return { role, logGroup };
}

/** Records a cdk-nag acknowledgement on a construct, with the reason a reviewer needs. */
export function acknowledge(scope: Construct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * How cdk-nag names a resource attribute inside a finding id: `<RollupsTable1234.Arn>` for an attribute,
 * `<LiveApi1234>` for a `Ref`. cdk-nag 3 acknowledges findings one by one, so ids must match exactly.
 */
export function nagRef(construct: IConstruct, attribute?: string): string {
  const child = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(child)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource to reference`);
  }
  const logicalId = Stack.of(construct).getLogicalId(child);
  const resolved = Stack.of(construct).resolve(logicalId);
  return attribute ? `<${resolved}.${attribute}>` : `<${resolved}>`;
}

/** Grants write access to the event stream and names it in `EVENTS_STREAM_NAME`. */
export function bindStream(fn: HouseFunction, stream: kinesis.IStream, _access: 'write'): void {
  stream.grantWrite(fn.role);
  fn.setEnv(BINDING_ENV.stream, stream.streamName);
}

/** Grants `access` to one of the `TABLES` and names it in its `BINDING_ENV.tables` variable. */
export function bindTable(fn: HouseFunction, key: TableKey, table: dynamodb.ITable, access: Access): void {
  if (access === 'read') table.grantReadData(fn.role);
  else if (access === 'write') table.grantWriteData(fn.role);
  else table.grantReadWriteData(fn.role);
  fn.setEnv(BINDING_ENV.tables[key], table.tableName);
  const definition: TableDefinition = TABLES[key];
  if (definition.globalSecondaryIndexes?.length) {
    // Grants on a table with indexes also cover `<table>/index/*`, so queries by index work.
    acknowledge(
      fn,
      `AwsSolutions-IAM5[Resource::${nagRef(table, 'Arn')}/index/*]`,
      `Grants on the ${definition.id} table include its own secondary indexes, named under the table ARN; no other table is reachable.`,
    );
  }
}

/** Grants sending to the dead-letter queue and names its URL in `DEAD_LETTER_QUEUE_URL`. */
export function bindQueue(fn: HouseFunction, queue: sqs.IQueue, _access: 'send'): void {
  queue.grantSendMessages(fn.role);
  fn.setEnv(BINDING_ENV.deadLetterQueue, queue.queueUrl);
}

/**
 * Grants HTTP access to the OpenSearch domain (IAM, SigV4-signed) and names its endpoint in
 * `OPENSEARCH_ENDPOINT`, with the index prefix and the signing mode the function expects.
 */
export function bindOpenSearch(fn: HouseFunction, domain: opensearch.IDomain, access: Access): void {
  if (access === 'read') grantSearch(fn, domain);
  else if (access === 'write') domain.grantWrite(fn.role);
  else domain.grantReadWrite(fn.role);
  nameOpenSearch(fn, domain);
  acknowledge(
    fn,
    `AwsSolutions-IAM5[Resource::${nagRef(domain, 'Arn')}/*]`,
    'OpenSearch HTTP permissions name index paths under this one domain (time-based indices are created daily); no other domain is reachable.',
  );
}

/**
 * Read access for searching the event indices: GET and HEAD anywhere in the domain (`grantRead`), plus
 * the POSTs a search needs (a query body, opening a point in time) on the search endpoints of the event
 * indices only, and the DELETE that closes a point in time. Never `_bulk`, `_doc` or an index write.
 */
function grantSearch(fn: HouseFunction, domain: opensearch.IDomain): void {
  domain.grantRead(fn.role);
  const events = `${domain.domainArn}/${OPENSEARCH.eventsIndexPrefix}-*`;
  iam.Grant.addToPrincipal({
    grantee: fn.role,
    actions: ['es:ESHttpPost'],
    resourceArns: [`${events}/_search`, `${events}/_search/point_in_time`, `${domain.domainArn}/_search`],
  });
  iam.Grant.addToPrincipal({
    grantee: fn.role,
    actions: ['es:ESHttpDelete'],
    resourceArns: [`${domain.domainArn}/_search/point_in_time`],
  });
  for (const path of ['_search', '_search/point_in_time']) {
    acknowledge(
      fn,
      `AwsSolutions-IAM5[Resource::${nagRef(domain, 'Arn')}/${OPENSEARCH.eventsIndexPrefix}-*/${path}]`,
      'Searches span the time-based event indices (one per day), so the index part of the path is a pattern; only the search endpoints are granted.',
    );
  }
}

/**
 * Grants writing one index template (`es:ESHttpPut` only: the installer never reads it, on
 * `<domain>/_index_template/<name>`, nothing else in the domain) and names the endpoint, the signing mode
 * and the index prefix as `bindOpenSearch` does. For the deployment-time template installer.
 */
export function bindOpenSearchIndexTemplate(
  fn: HouseFunction<AnyFunctionDefinition>,
  domain: opensearch.IDomain,
  templateName: string,
): void {
  iam.Grant.addToPrincipal({
    grantee: fn.role,
    actions: ['es:ESHttpPut'],
    resourceArns: [`${domain.domainArn}/_index_template/${templateName}`],
  });
  nameOpenSearch(fn, domain);
}

/** The OpenSearch variables every bound function gets: HTTPS endpoint, SigV4 signing, index prefix. */
function nameOpenSearch(fn: HouseFunction<AnyFunctionDefinition>, domain: opensearch.IDomain): void {
  fn.setEnv(BINDING_ENV.opensearch, `https://${domain.domainEndpoint}`);
  fn.setEnv(ENV.opensearchAuth, 'sigv4');
  fn.setEnv(ENV.eventsIndexPrefix, OPENSEARCH.eventsIndexPrefix);
}

/**
 * Grants `execute-api:ManageConnections` on the WebSocket stage and names its @connections endpoint in
 * `WEBSOCKET_MANAGEMENT_ENDPOINT`.
 */
export function bindWebSocketManagement(fn: HouseFunction, stage: apigwv2.WebSocketStage): void {
  stage.grantManagementApiAccess(fn.role);
  fn.setEnv(BINDING_ENV.websocketManagement, stage.callbackUrl);
  acknowledge(
    fn,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:${nagRef(stage.api)}/${stage.stageName}/*/@connections/*]`,
    'Connection ids are created at runtime; the grant is limited to the @connections of this API stage.',
  );
}

/**
 * Names the cursor-signing key in `CURSOR_SIGNING_KEY`. The value is a CloudFormation dynamic reference
 * to the secret, resolved at deployment: the function needs no Secrets Manager permission, no SDK client
 * in its bundle and no call at cold start. Lambda keeps the value encrypted; anyone who may read the
 * function's configuration may read it, which is the account's operators, never its API callers.
 */
export function bindCursorSigningKey(fn: HouseFunction, secret: secretsmanager.ISecret): void {
  fn.setEnv(BINDING_ENV.cursorSigningKey, secret.secretValue.unsafeUnwrap());
}

/** The resources the bind helpers can reach; one of each, built by the stack. */
export interface BindableResources {
  readonly stream: kinesis.IStream;
  readonly tables: Record<TableKey, dynamodb.ITable>;
  readonly domain: opensearch.IDomain;
  readonly deadLetterQueue: sqs.IQueue;
  readonly webSocketStage: apigwv2.WebSocketStage;
  readonly cursorSigningKey: secretsmanager.ISecret;
}

/**
 * Applies a function's `FUNCTION_BINDINGS` entry: every resource it lists is granted and named, and
 * nothing else is. This is the only way the stack gives a function access to anything.
 */
export function applyBindings(
  fn: HouseFunction,
  bindings: FunctionBindings,
  resources: BindableResources,
): void {
  if (bindings.stream) bindStream(fn, resources.stream, bindings.stream);
  for (const [key, access] of Object.entries(bindings.tables ?? {}) as [TableKey, Access][]) {
    bindTable(fn, key, resources.tables[key], access);
  }
  if (bindings.opensearch) bindOpenSearch(fn, resources.domain, bindings.opensearch);
  if (bindings.deadLetterQueue) bindQueue(fn, resources.deadLetterQueue, bindings.deadLetterQueue);
  if (bindings.websocketManagement) bindWebSocketManagement(fn, resources.webSocketStage);
  if (bindings.cursorSigningKey) bindCursorSigningKey(fn, resources.cursorSigningKey);
}
