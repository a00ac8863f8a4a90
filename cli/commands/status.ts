/**
 * `status`: where the target's resources are and whether the pipeline is keeping up: the stream's shards,
 * dead letters waiting, OpenSearch health and how many events are searchable.
 */
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
import { resolveTarget } from '../target.js';

export const statusCommand: Command = {
  name: 'status',
  summary: "the target's resources, stream, dead letters waiting and OpenSearch health",
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
      const [stream, queue, health, count] = await Promise.allSettled([
        target.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: resources.streamName })),
        target.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: resources.deadLetterQueueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        ),
        target.opensearch.cluster.health(),
        target.opensearch.count({ index: 'events-*' }),
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
        ],
      );
      const checks = [stream, queue, health, count];
      if (checks.every((result) => result.status === 'rejected')) {
        output.note(`status failed: no server of the ${target.label} answered: ${NOT_RUNNING_HINT}`);
      }
      return checks.some((result) => result.status === 'rejected') ? 1 : 0;
    } finally {
      target.close();
    }
  },
};
