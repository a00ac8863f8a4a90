import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { nagReport, synthPipeline } from './synth.js';

/** Violations as readable lines, so a failure names the rule and the resource. */
function findings(settings: Parameters<typeof synthPipeline>[0] = {}): string[] {
  const { app } = synthPipeline(settings);
  return nagReport(app).violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) =>
        `${violation.severity} ${violation.ruleName} at ${resource.constructPath ?? resource.resourceLogicalId}`,
    ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the dev-sized stack (errors and warnings alike)', () => {
    expect(findings()).toEqual([]);
  });

  it('finds nothing unacknowledged in a production-sized stack', () => {
    // Multi-AZ and dedicated masters remove the OS4/OS7 acknowledgements; nothing else may appear.
    expect(findings({ opensearchDataNodes: 2, opensearchMultiAz: true, opensearchMasterNodes: 3 })).toEqual(
      [],
    );
  });

  it('does report a violation when one is introduced (the checks above are not vacuous)', () => {
    const { app, stack } = synthPipeline();
    new sqs.Queue(stack, 'UnencryptedQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const rules = nagReport(app).violations.map((violation) => violation.ruleName);
    expect(rules).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });
});
