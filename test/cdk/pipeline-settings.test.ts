/**
 * Hostile or mistaken context values fail `cdk synth` at once, naming the key, the value and the rule:
 * never a CloudFormation failure minutes into a deployment, never a stack other than the one asked for.
 */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, settingsFromContext } from '../../lib/stacks/pipeline-settings.js';

const settingsOf = (context: Record<string, unknown>) => settingsFromContext(new App({ context }).node);

describe('context values that would fail a deployment or deploy something else', () => {
  it.each([
    ['opensearchDataNodes', '0', /opensearchDataNodes must be at least 1 .*got "0"/],
    ['opensearchVolumeGb', '0', /opensearchVolumeGb must be at least 10 .*got "0"/],
    ['opensearchVolumeGb', '', /opensearchVolumeGb must be a non-negative integer, got ""/],
    ['opensearchDataNodes', '1e3', /opensearchDataNodes must be a non-negative integer, got "1e3"/],
    ['opensearchDataNodes', '0x2', /opensearchDataNodes .*got "0x2"/],
    ['opensearchDataNodes', ' 2', /opensearchDataNodes .*got " 2"/],
    ['opensearchDataNodes', 2.5, /opensearchDataNodes .*got "2.5"/],
    ['streamShards', '0', /streamShards must be at least 1 \(a stream needs a shard\), got "0"/],
    [
      'streamShards',
      'ondemand',
      /streamShards must be a number of shards \(at least 1\) or on-demand, got "ondemand"/,
    ],
    ['streamShards', 'ON_DEMAND', /streamShards must be a number of shards .*got "ON_DEMAND"/],
    ['apiRateLimit', '0', /apiRateLimit must be at least 1 \(0 throttles every request\), got "0"/],
    ['apiBurstLimit', '0', /apiBurstLimit must be at least 1 .*got "0"/],
    ['opensearchMasterNodes', '1', /opensearchMasterNodes must be 0, 3 or 5 .*got "1"/],
    ['opensearchMasterNodes', '2', /opensearchMasterNodes must be 0, 3 or 5 .*got "2"/],
    ['opensearchMasterNodes', '4', /opensearchMasterNodes must be 0, 3 or 5 .*got "4"/],
    // aws-cdk-lib replaces an empty instance type with its own default, r5.large.search.
    ['opensearchInstanceType', '', /opensearchInstanceType must be an OpenSearch instance type .*got ""/],
    ['opensearchMasterInstanceType', 'm6g.large', /opensearchMasterInstanceType .*got "m6g.large"/],
    [
      'eventMaxPastSeconds',
      '31536001',
      /eventMaxPastSeconds must be at most 31536000 \(365 days.*got "31536001"/,
    ],
    ['eventMaxFutureSeconds', '86401', /eventMaxFutureSeconds must be at most 86400 \(a day.*got "86401"/],
    ['alarmEmail', '', /alarmEmail must be an email address, got ""/],
    ['alarmEmail', 'oncall', /alarmEmail must be an email address, got "oncall"/],
  ])('refuses %s=%j', (key, value, message) => {
    expect(() => settingsOf({ [key]: value })).toThrow(message);
  });

  it('refuses multi-AZ with an odd number of data nodes, the default 1 included', () => {
    expect(() => settingsOf({ opensearchMultiAz: 'true' })).toThrow(
      /opensearchDataNodes must be even with opensearchMultiAz=true .*got "1"/,
    );
    expect(() => settingsOf({ opensearchMultiAz: 'true', opensearchDataNodes: '3' })).toThrow(/got "3"/);
  });

  it("refuses a default event limit one key could fill the stream with, or one under a full request's events", () => {
    expect(() => settingsOf({ keyEventRateLimit: '1001' })).toThrow(
      /keyEventRateLimit must be at most streamShards x 1000 = 1000 .*got "1001"/,
    );
    expect(() => settingsOf({ keyEventBurstLimit: '499' })).toThrow(
      /keyEventBurstLimit must be at least 500 \(the events of one full request\), got "499"/,
    );
    expect(settingsOf({ streamShards: '4', keyEventRateLimit: '4000' })).toMatchObject({
      streamShards: 4,
      keyEventRateLimit: 4000,
    });
    // An on-demand stream takes 4,000 events a second until it has seen a higher peak.
    expect(settingsOf({ streamShards: 'on-demand', keyEventRateLimit: '4000' })).toMatchObject({
      streamShards: 'on-demand',
      keyEventRateLimit: 4000,
    });
    expect(() => settingsOf({ streamShards: 'on-demand', keyEventRateLimit: '4001' })).toThrow(
      /keyEventRateLimit must be at most what a new on-demand stream takes = 4000 .*got "4001"/,
    );
  });

  it('refuses a key that is not a setting (a typo would deploy the default)', () => {
    expect(() => settingsOf({ opensearchDataNode: '2' })).toThrow(
      /Context opensearchDataNode: not a setting \(the settings: .*opensearchDataNodes/,
    );
  });

  it("accepts CDK's own keys, a production shape and numbers given as JSON numbers", () => {
    const settings = settingsOf({
      '@aws-cdk/core:checkSecretUsage': true,
      'aws:cdk:bundling-stacks': [],
      'acknowledged-issue-numbers': [32775],
      stackName: 'EventPipelineDev',
      opensearchMultiAz: 'true',
      opensearchDataNodes: 2,
      opensearchMasterNodes: '3',
      opensearchVolumeGb: '100',
      alarmEmail: 'oncall@example.com',
    });
    expect(settings).toEqual({
      ...DEFAULT_SETTINGS,
      opensearchMultiAz: true,
      opensearchDataNodes: 2,
      opensearchMasterNodes: 3,
      opensearchVolumeGb: 100,
      alarmEmail: 'oncall@example.com',
    });
  });
});
