#!/usr/bin/env node
/**
 * The CDK app: one environment-agnostic `EventPipeline` stack (no account or region lookups, so
 * `cdk synth` works offline), checked by cdk-nag's AWS Solutions rules on every synthesis.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EventPipelineStack } from '../lib/stacks/event-pipeline-stack.js';
import { settingsFromContext } from '../lib/stacks/pipeline-settings.js';

const app = new App();

new EventPipelineStack(app, app.node.tryGetContext('stackName') ?? 'EventPipeline', {
  description: 'Serverless event ingestion: API Gateway, Lambda, Kinesis, OpenSearch, DynamoDB, WebSocket',
  settings: settingsFromContext(app.node),
});

// cdk-nag 3.x is a policy validation plugin: any unacknowledged finding fails synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
