/**
 * A new AWS account refuses CloudFront resources until AWS Support verifies it ("Your account must be
 * verified before you can add new CloudFront resources"), which would fail and roll back the whole
 * first deployment. Only the dashboard page needs CloudFront, so `-c dashboard=false` deploys the
 * pipeline without it, and the command-line tools still find everything they read.
 */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../lib/stack-outputs.js';
import { settingsFromContext } from '../../lib/stacks/pipeline-settings.js';
import { nagFindings, synthPipeline } from './synth.js';

describe('a deployment without the dashboard page (dashboard=false)', () => {
  it('is a setting the command line can give', () => {
    const settings = settingsFromContext(new App({ context: { dashboard: 'false' } }).node);

    expect(settings.dashboard).toBe(false);
  });

  it('creates no CloudFront resource and no page bucket, keeps every output the CLI reads, and passes cdk-nag', () => {
    const { app, template } = synthPipeline({ dashboard: false }, { checkCycles: false });

    const json = template.toJSON() as {
      Resources: Record<string, { Type: string }>;
      Outputs: Record<string, { Value?: unknown }>;
    };
    const types = Object.values(json.Resources).map((resource) => resource.Type);
    expect(types.filter((type) => type.startsWith('AWS::CloudFront::'))).toEqual([]);
    expect(
      types.filter((type) => type === 'AWS::S3::Bucket' || type === 'Custom::CDKBucketDeployment'),
    ).toEqual([]);
    const { dashboardUrl, ...readByTheCli } = STACK_OUTPUTS;
    expect(json.Outputs[dashboardUrl]).toBeUndefined();
    for (const key of Object.values(readByTheCli)) expect(json.Outputs[key]?.Value).toBeDefined();
    // bin/app.ts runs cdk-nag on every synthesis: an unacknowledged finding would stop the deploy.
    expect(nagFindings(app)).toEqual([]);
  });
});
