/**
 * Synthesizes the pipeline stack for tests, fast: every function gets the same inline stub code instead
 * of bundling its entry, so tests neither run esbuild nor need the function sources to exist. Runtime,
 * role, logging, environment and every other property are built exactly as for a deployment.
 *
 * The `cdk` test project synthesizes the stack ONCE per settings variant, in its global setup
 * (`test/setup/cdk-pipeline.ts`), and hands the template, the logical ids of the parts tests name and
 * the cdk-nag findings to every test file (`test/cdk/pipeline.ts`). Only tests that must build a
 * different stack (the mutation tests, the bundling test) synthesize again.
 */
import { readFileSync } from 'node:fs';
import { App, CfnElement, type PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { EventPipelineStack } from '../../lib/stacks/event-pipeline-stack.js';
import { DEFAULT_SETTINGS, type PipelineSettings } from '../../lib/stacks/pipeline-settings.js';
import type { FunctionId, TableKey } from '../../lib/topology.js';

export const STUB_CODE = lambda.Code.fromInline('exports.handler = async () => ({});');

/**
 * A stack with every setting changed from its default (production-sized, data not retained, alarms
 * emailed), so the design's rules are checked on more than one shape of the stack.
 */
export const OVERRIDDEN_SETTINGS: Partial<PipelineSettings> = {
  opensearchInstanceType: 'r6g.large.search',
  opensearchDataNodes: 2,
  opensearchMultiAz: true,
  opensearchMasterNodes: 3,
  streamShards: 4,
  logRetentionDays: 90,
  retainData: false,
  apiRateLimit: 50,
  apiBurstLimit: 75,
  eventMaxPastSeconds: 30 * 24 * 3600,
  eventMaxFutureSeconds: 2 * 3600,
  alarmEmail: 'oncall@example.com',
};

export interface SynthResult {
  app: App;
  stack: EventPipelineStack;
  template: Template;
}

/** The feature flags in cdk.json change synthesized output (e.g. IAM policy minimization); tests use them too. */
const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

/**
 * Builds the stack with stub code and returns its template. `checkCycles: false` skips the assertion
 * library's dependency-cycle check (a third of a synthesis), for stacks that only feed the rules.
 */
export function synthPipeline(
  settings: Partial<PipelineSettings> = {},
  { checkCycles = true }: { checkCycles?: boolean } = {},
): SynthResult {
  const app = new App({
    // No stack needs bundling: the stub code below replaces it (and this keeps any asset from bundling).
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new EventPipelineStack(app, 'TestPipeline', {
    settings: { ...DEFAULT_SETTINGS, ...settings },
    functionCode: STUB_CODE,
  });
  return { app, stack, template: Template.fromStack(stack, { skipCyclicalDependenciesCheck: !checkCycles }) };
}

/** Runs the AWS Solutions pack over the app, as `bin/app.ts` does on every synthesis. */
export function nagReport(app: App): PolicyValidationPluginReport {
  return new AwsSolutionsChecks(app).validateScope(app);
}

/** Unacknowledged cdk-nag findings as readable lines, so a failure names the rule and the resource. */
export function nagFindings(app: App): string[] {
  return nagReport(app).violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) =>
        `${violation.severity} ${violation.ruleName} at ${resource.constructPath ?? resource.resourceLogicalId}`,
    ),
  );
}

/** Logical ids of one house function's resources. */
export interface FunctionIds {
  function: string;
  role: string;
  logGroup: string;
}

/** Logical ids of the parts of the stack that tests and rules talk about, by their topology names. */
export interface PipelineIds {
  stream: string;
  deadLetterQueue: string;
  domain: string;
  restApi: string;
  webSocketApi: string;
  /** The event path's functions (`FUNCTIONS`). */
  functions: Record<FunctionId, FunctionIds>;
  tables: Record<TableKey, string>;
  indexTemplate: {
    resource: string;
    installer: FunctionIds;
    providerFunction: string;
    providerRole: string;
    providerLogGroup: string;
  };
  /** The dashboard page's bucket, and aws-cdk-lib's function that copies the page into it at deploy. */
  dashboard: { bucket: string; deploymentFunction: string };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild ?? construct;
  if (!CfnElement.isCfnElement(child))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  const stack = Stack.of(child);
  return stack.resolve(stack.getLogicalId(child)) as string;
}

function functionIds(fn: { function: IConstruct; role: IConstruct; logGroup: IConstruct }): FunctionIds {
  return { function: logicalId(fn.function), role: logicalId(fn.role), logGroup: logicalId(fn.logGroup) };
}

/** Reads the logical ids off a synthesized stack. */
export function pipelineIds(stack: EventPipelineStack): PipelineIds {
  const child = (path: string) => stack.node.findChild(path);
  const template = stack.eventsIndexTemplate;
  return {
    stream: logicalId(stack.stream),
    deadLetterQueue: logicalId(stack.deadLetterQueue),
    domain: logicalId(child('Search').node.findChild('Domain')),
    restApi: logicalId(child('RestApi').node.findChild('Api')),
    webSocketApi: logicalId(child('LiveApi').node.findChild('Api')),
    functions: Object.fromEntries(
      Object.entries(stack.functions).map(([id, fn]) => [id, functionIds(fn)]),
    ) as Record<FunctionId, FunctionIds>,
    tables: Object.fromEntries(
      Object.entries(stack.tables).map(([key, table]) => [key, logicalId(table)]),
    ) as Record<TableKey, string>,
    indexTemplate: {
      resource: logicalId(template.resource),
      installer: functionIds(template.installer),
      providerFunction: logicalId(template.provider.node.findChild('framework-onEvent')),
      providerRole: logicalId(template.node.findChild('ProviderRole')),
      providerLogGroup: logicalId(template.node.findChild('ProviderLogGroup')),
    },
    dashboard: {
      bucket: logicalId(child('Dashboard').node.findChild('Bucket')),
      deploymentFunction: logicalId(
        stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment')) ??
          child('Dashboard'),
      ),
    },
  };
}

/** What the global setup hands to test files: plain data, so it crosses into the test workers. */
export interface SynthesizedPipeline {
  /** The CloudFormation template (`Template.fromJSON` turns it back into assertions). */
  template: Record<string, unknown>;
  ids: PipelineIds;
  /** Unacknowledged cdk-nag findings of the AWS Solutions pack. */
  nagFindings: string[];
}

/** Synthesizes one settings variant and reduces it to plain data. */
export function synthesizePipeline(settings: Partial<PipelineSettings> = {}): SynthesizedPipeline {
  const { app, stack, template } = synthPipeline(settings);
  return { template: template.toJSON(), ids: pipelineIds(stack), nagFindings: nagFindings(app) };
}
