import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  alarmsFiring,
  alarmsText,
  deployedConsumerLag,
  lagText,
  localConsumerLag,
  stackAlarms,
} from '../../../cli/status/pipeline-health.js';

const cloudwatchMock = mockClient(CloudWatchClient);
const cloudwatch = () => new CloudWatchClient({ region: 'eu-west-1' });
const NOW = new Date('2026-11-22T12:00:00Z');

function iteratorAgeAlarm(name: string, functionName: string, state = 'OK'): MetricAlarm {
  return {
    AlarmName: name,
    StateValue: state as MetricAlarm['StateValue'],
    Namespace: 'AWS/Lambda',
    MetricName: 'IteratorAge',
    Dimensions: [{ Name: 'FunctionName', Value: functionName }],
  };
}

describe('the deployed pipeline health', () => {
  beforeEach(() => cloudwatchMock.reset());

  it("reads every page of the stack's alarms, by the prefix CloudFormation names them with", async () => {
    // Prepare
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'Pipe-A' }], NextToken: 'next' })
      .resolves({ MetricAlarms: [{ AlarmName: 'Pipe-B', StateValue: 'ALARM' }] });

    // Act
    const alarms = await stackAlarms(cloudwatch(), 'Pipe');

    // Assess
    expect(alarms.map((alarm) => alarm.AlarmName)).toEqual(['Pipe-A', 'Pipe-B']);
    const inputs = cloudwatchMock.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.AlarmNamePrefix, input.NextToken])).toEqual([
      ['Pipe-', undefined],
      ['Pipe-', 'next'],
    ]);
    expect(alarmsText(alarmsFiring(alarms))).toBe('1 of 2 in ALARM: Pipe-B');
  });

  it('says none fires when none does', () => {
    expect(alarmsText(alarmsFiring([{ AlarmName: 'Pipe-A', StateValue: 'OK' }]))).toBe('0 of 1 in ALARM');
  });

  it('asks CloudWatch for the latest iterator age of each function an IteratorAge alarm watches', async () => {
    // Prepare: two consumers, one idle (no data point), and an alarm on something else
    const alarms = [
      iteratorAgeAlarm('Pipe-IndexerIteratorAge-1', 'Pipe-Indexer'),
      iteratorAgeAlarm('Pipe-RollupWriterIteratorAge-1', 'Pipe-RollupWriter', 'ALARM'),
      { AlarmName: 'Pipe-DeadLetterQueueNotEmpty-1', Namespace: 'AWS/SQS', MetricName: 'Visible' },
    ];
    cloudwatchMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'lag0', Values: [250, 9_000] },
        { Id: 'lag1', Values: [] },
      ],
    });

    // Act
    const lags = await deployedConsumerLag(cloudwatch(), alarms, NOW);

    // Assess: the newest point first (ScanBy), over the last five minutes
    expect(lagText(lags)).toBe('Pipe-Indexer 0.3 s, Pipe-RollupWriter no data (idle)');
    const input = cloudwatchMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.ScanBy).toBe('TimestampDescending');
    expect(input?.StartTime).toEqual(new Date(NOW.getTime() - 5 * 60_000));
    expect(input?.MetricDataQueries?.map((query) => query.MetricStat?.Metric?.Dimensions)).toEqual([
      [{ Name: 'FunctionName', Value: 'Pipe-Indexer' }],
      [{ Name: 'FunctionName', Value: 'Pipe-RollupWriter' }],
    ]);
  });

  it('asks nothing when the stack has no IteratorAge alarm', async () => {
    // Act
    const lags = await deployedConsumerLag(cloudwatch(), [{ AlarmName: 'Pipe-X' }], NOW);

    // Assess
    expect(lags).toEqual([]);
    expect(lagText(lags)).toBe('no stream consumer found');
    expect(cloudwatchMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });
});

describe('the local pipeline health', () => {
  it("reads each event source mapping's iterator age from the control API", async () => {
    // Prepare
    let asked = '';
    const fakeFetch = (async (url: string) => {
      asked = url;
      return Response.json({
        indexer: { functionId: 'indexer', iteratorAgeMs: 0 },
        'rollup-writer': { functionId: 'rollup-writer', iteratorAgeMs: 12_345 },
      });
    }) as typeof fetch;

    // Act
    const lags = await localConsumerLag('http://127.0.0.1:4000/', fakeFetch);

    // Assess
    expect(asked).toBe('http://127.0.0.1:4000/mappings');
    expect(lagText(lags)).toBe('indexer 0.0 s, rollup-writer 12.3 s');
  });

  it('names the control API and the cause when it does not answer', async () => {
    // Prepare
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;

    // Act / Assess
    await expect(localConsumerLag('http://127.0.0.1:1', refused)).rejects.toThrow(
      'the control API did not answer (ECONNREFUSED)',
    );
  });
});
