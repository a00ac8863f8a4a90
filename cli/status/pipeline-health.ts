/**
 * What `status` adds to "is the pipeline keeping up": how far behind each stream consumer is and,
 * on a deployed stage, which of the stack's alarms fire. Locally the consumers' iterator ages come
 * from the local stack's control API (its event source mappings' stats); deployed, from CloudWatch:
 * the stack's alarms, and the `IteratorAge` of the functions its `IteratorAge` alarms watch (so no
 * function name has to be an output of the stack).
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';

/** One stream consumer and its iterator age: how old the oldest record it has not processed is. */
export interface ConsumerLag {
  consumer: string;
  /** Undefined when CloudWatch has no data point in the window (an idle consumer reports none). */
  lagMs?: number;
}

export interface AlarmsFiring {
  total: number;
  /** Names of the alarms in ALARM. */
  firing: string[];
}

/** How far back CloudWatch is asked about the consumers' iterator age. */
const LAG_WINDOW_MS = 5 * 60_000;
const CONTROL_TIMEOUT_MS = 10_000;

/** The local stack's consumers, from its control API (`GET /mappings`). */
export async function localConsumerLag(
  controlUrl: string,
  fetchImpl: typeof fetch = fetch,
): Promise<ConsumerLag[]> {
  let response: Response;
  try {
    response = await fetchImpl(`${controlUrl.replace(/\/+$/, '')}/mappings`, {
      signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new Error(`the control API did not answer (${cause})`);
  }
  if (!response.ok) throw new Error(`the control API answered HTTP ${response.status}`);
  const stats = (await response.json()) as Record<string, { functionId?: string; iteratorAgeMs?: number }>;
  return Object.entries(stats).map(([id, mapping]) => ({
    consumer: mapping.functionId ?? id,
    ...(typeof mapping.iteratorAgeMs === 'number' ? { lagMs: mapping.iteratorAgeMs } : {}),
  }));
}

/** The metric alarms of a deployed stack: CloudFormation names them `<stack name>-<logical id>-<suffix>`. */
export async function stackAlarms(
  cloudwatch: Pick<CloudWatchClient, 'send'>,
  stackName: string,
): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${stackName}-`, AlarmTypes: ['MetricAlarm'], NextToken }),
    );
    alarms.push(...(page.MetricAlarms ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return alarms;
}

export function alarmsFiring(alarms: readonly MetricAlarm[]): AlarmsFiring {
  return {
    total: alarms.length,
    firing: alarms
      .filter((alarm) => alarm.StateValue === 'ALARM')
      .map((alarm) => alarm.AlarmName ?? '?')
      .sort(),
  };
}

/** The deployed consumers' latest iterator age, for the functions the stack's `IteratorAge` alarms watch. */
export async function deployedConsumerLag(
  cloudwatch: Pick<CloudWatchClient, 'send'>,
  alarms: readonly MetricAlarm[],
  now: Date,
): Promise<ConsumerLag[]> {
  const consumers = alarms
    .filter((alarm) => alarm.Namespace === 'AWS/Lambda' && alarm.MetricName === 'IteratorAge')
    .map((alarm) => alarm.Dimensions?.find((dimension) => dimension.Name === 'FunctionName')?.Value)
    .filter((name): name is string => Boolean(name))
    .sort();
  if (consumers.length === 0) return [];
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - LAG_WINDOW_MS),
      EndTime: now,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: consumers.map((functionName, index) => ({
        Id: `lag${index}`,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'IteratorAge',
            Dimensions: [{ Name: 'FunctionName', Value: functionName }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      })),
    }),
  );
  return consumers.map((consumer, index) => {
    const latest = MetricDataResults.find((result) => result.Id === `lag${index}`)?.Values?.[0];
    return { consumer, ...(latest === undefined ? {} : { lagMs: latest }) };
  });
}

/** `indexer 0.2 s, rollup-writer 12.5 s`; a consumer without data says so. */
export function lagText(lags: readonly ConsumerLag[]): string {
  if (lags.length === 0) return 'no stream consumer found';
  return lags
    .map(({ consumer, lagMs }) =>
      lagMs === undefined ? `${consumer} no data (idle)` : `${consumer} ${(lagMs / 1000).toFixed(1)} s`,
    )
    .join(', ');
}

/** `0 of 17 in ALARM`, or the names of those that are. */
export function alarmsText({ total, firing }: AlarmsFiring): string {
  return firing.length === 0
    ? `0 of ${total} in ALARM`
    : `${firing.length} of ${total} in ALARM: ${firing.join(', ')}`;
}
