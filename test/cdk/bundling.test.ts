/**
 * The real packaging path, without running esbuild: the stack is built from the topology entries with
 * bundling skipped (`aws:cdk:bundling-stacks: []`), which still resolves every entry, the lock file and
 * the project root exactly as `cdk synth` does. The other CDK tests use stub code instead.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/house-function.js';
import { EventPipelineStack } from '../../lib/stacks/event-pipeline-stack.js';
import { type AnyFunctionDefinition, DEPLOY_FUNCTIONS, FUNCTIONS } from '../../lib/topology.js';

/** Every function the stack deploys: the event path's and the deployment-time ones. */
const ALL_FUNCTIONS: AnyFunctionDefinition[] = [
  ...Object.values(FUNCTIONS),
  ...Object.values(DEPLOY_FUNCTIONS),
];

describe('bundling from the topology entries', () => {
  it.each(ALL_FUNCTIONS.map((fn) => [fn.id, fn.entry] as const))('%s has its entry at %s', (_id, entry) => {
    expect(existsSync(path.join(REPO_ROOT, entry))).toBe(true);
  });

  it('packages every function as an asset with the handler named in the topology', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const template = Template.fromStack(new EventPipelineStack(app, 'BundlingPipeline'));
    for (const fn of ALL_FUNCTIONS) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: fn.description,
        Handler: `index.${fn.handler}`,
        Code: { S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp('\\.zip$') },
      });
    }
  });
});
