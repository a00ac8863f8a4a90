/**
 * cdk-nag's AWS Solutions pack finds nothing unacknowledged in the pipeline. The findings were computed
 * once, with the synthesis, by the project's global setup (test/setup/cdk-pipeline.ts).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { nagReport } from './synth.js';

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the dev-sized stack (errors and warnings alike)', () => {
    expect(pipeline('default').nagFindings).toEqual([]);
  });

  it('finds nothing unacknowledged in a production-sized stack', () => {
    // Multi-AZ and dedicated masters remove the OS4/OS7 acknowledgements; nothing else may appear.
    expect(pipeline('overridden').nagFindings).toEqual([]);
  });

  it('does report a violation when one is introduced (the checks above are not vacuous)', () => {
    const app = new App();
    new sqs.Queue(new Stack(app, 'Unsafe'), 'UnencryptedQueue', {
      encryption: sqs.QueueEncryption.UNENCRYPTED,
    });
    const rules = nagReport(app).violations.map((violation) => violation.ruleName);
    expect(rules).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });
});
