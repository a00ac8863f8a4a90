/**
 * `status`: where the target's resources are and whether the pipeline is keeping up: the stream's shards,
 * how far behind each consumer is, dead letters waiting, OpenSearch health, how many events are
 * searchable and, on a deployed stage, which alarms fire.
 */
import { CloudWatchClient, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import {
  type Command,
  NOT_RUNNING_HINT,
  parseOptions,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOptions,
} from '../command.js';
import {
  alarmsFiring,
  alarmsText,
  type ConsumerLag,
  deployedConsumerLag,
  lagText,
  localConsumerLag,
  stackAlarms,
} from '../status/pipeline-health.js';
import { awsConfig, resolveTarget, type Target } from '../target.js';

export const statusCommand: Command = {
  name: 'status',
  summary: "the target's resources, stream, consumers' lag, dead letters waiting, OpenSearch health, alarms",
  usage: `pipeline status [target options]\n\n${TARGET_USAGE}`,
  async run({ args, output }) {
    const { values } = parseOptions(args, TARGET_OPTIONS);
    const target = await resolveTarget(targetOptions(values));
    try {
      const { resources } = target;
      output.line(`Target: ${target.label}`);
      output.table(
        ['resource', 'name'],
        Object.entries(resources).flatMap(([name, value]) =>
          typeof value === 'string' ? [[name, value]] : [],
        ),
      );
      const [stream, queue, health, count, [lag, alarms]] = await Promise.all([
        settledWithin(
          target.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: resources.streamName })),
        ),
        settledWithin(
          target.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: resources.deadLetterQueueUrl,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          ),
        ),
        settledWithin(target.opensearch.cluster.health()),
        settledWithin(target.opensearch.count({ index: 'events-*' })),
        pipelineHealth(target),
      ]);
      const failed = (result: PromiseSettledResult<unknown>) =>
        result.status === 'rejected' ? `unreachable (${(result.reason as Error).message})` : undefined;
      output.line();
      output.table(
        ['check', 'state'],
        [
          [
            'stream',
            failed(stream) ??
              (stream.status === 'fulfilled'
                ? `${stream.value.StreamDescriptionSummary?.StreamStatus}, ${stream.value.StreamDescriptionSummary?.OpenShardCount} open shard(s)`
                : ''),
          ],
          ['consumers behind', failed(lag) ?? (lag.status === 'fulfilled' ? lagText(lag.value) : '')],
          [
            'dead letters waiting',
            failed(queue) ??
              (queue.status === 'fulfilled'
                ? `${queue.value.Attributes?.ApproximateNumberOfMessages ?? '?'} (+${queue.value.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '?'} in flight)`
                : ''),
          ],
          [
            'opensearch',
            failed(health) ?? (health.status === 'fulfilled' ? String(health.value.body.status) : ''),
          ],
          [
            'searchable events',
            failed(count) ?? (count.status === 'fulfilled' ? String(count.value.body.count) : ''),
          ],
          ...(alarms
            ? [
                [
                  'alarms',
                  failed(alarms) ??
                    (alarms.status === 'fulfilled' ? alarmsText(alarmsFiring(alarms.value)) : ''),
                ],
              ]
            : []),
        ],
      );
      const checks = [stream, lag, queue, health, count, ...(alarms ? [alarms] : [])];
      if (checks.every((result) => result.status === 'rejected')) {
        output.note(`status failed: no server of the ${target.label} answered: ${NOT_RUNNING_HINT}`);
      }
      return checks.some((result) => result.status === 'rejected') ? 1 : 0;
    } finally {
      target.close();
    }
  },
};

/**
 * How long `status` waits for any one check. The clients' own timeouts and retries would hold it about
 * 30 s on a server that accepts connections and never answers (a paused or overloaded one): the check
 * is reported unanswered after this instead, and every check runs at once, so status ends within it.
 */
export const STATUS_CHECK_WAIT_MS = 8_000;

/** `promise` settled, or rejected as unanswered after `waitMs`. */
export async function settledWithin<T>(
  promise: Promise<T>,
  waitMs = STATUS_CHECK_WAIT_MS,
): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const unanswered = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${waitMs / 1000} s`)), waitMs);
  });
  try {
    return { status: 'fulfilled', value: await Promise.race([promise, unanswered]) };
  } catch (reason) {
    return { status: 'rejected', reason };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The consumers' lag and (deployed) the stack's alarms. Locally the lag comes from the control API; a
 * deployed stage has no such API, and CloudWatch holds both.
 */
async function pipelineHealth(
  target: Target,
): Promise<[PromiseSettledResult<ConsumerLag[]>, PromiseSettledResult<MetricAlarm[]> | undefined]> {
  if (target.kind === 'local' || !target.stackName) {
    const controlUrl = target.local?.controlUrl;
    const lag = controlUrl
      ? localConsumerLag(controlUrl)
      : Promise.reject(new Error('the endpoints file names no control API'));
    return [await settledWithin(lag), undefined];
  }
  const cloudwatch = new CloudWatchClient(awsConfig(target.region));
  try {
    const alarms = stackAlarms(cloudwatch, target.stackName);
    const lag = alarms.then((found) => deployedConsumerLag(cloudwatch, found, new Date()));
    return await Promise.all([settledWithin(lag), settledWithin(alarms)]);
  } finally {
    cloudwatch.destroy();
  }
}
