/**
 * Synthesizes the pipeline stack for tests, fast: every function gets the same inline stub code instead
 * of bundling its entry, so tests neither run esbuild nor need the function sources to exist. Runtime,
 * role, logging, environment and every other property are built exactly as for a deployment.
 */
import { readFileSync } from 'node:fs';
import { App, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EventPipelineStack } from '../../lib/stacks/event-pipeline-stack.js';
import { DEFAULT_SETTINGS, type PipelineSettings } from '../../lib/stacks/pipeline-settings.js';

export const STUB_CODE = lambda.Code.fromInline('exports.handler = async () => ({});');

export interface SynthResult {
  app: App;
  stack: EventPipelineStack;
  template: Template;
}

/** The feature flags in cdk.json change synthesized output (e.g. IAM policy minimization); tests use them too. */
const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

/** Builds the stack with stub code and returns its template. */
export function synthPipeline(settings: Partial<PipelineSettings> = {}): SynthResult {
  const app = new App({
    // No stack needs bundling: the stub code below replaces it (and this keeps any asset from bundling).
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new EventPipelineStack(app, 'TestPipeline', {
    settings: { ...DEFAULT_SETTINGS, ...settings },
    functionCode: STUB_CODE,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Runs the AWS Solutions pack over the app, as `bin/app.ts` does on every synthesis. */
export function nagReport(app: App): PolicyValidationPluginReport {
  return new AwsSolutionsChecks(app).validateScope(app);
}
