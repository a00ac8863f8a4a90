import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE_ENV, metricsNamespace } from '../../lambdas/shared/metric-names.js';
import { FUNCTION_BINDINGS, type FunctionId, STREAM_MAPPINGS } from '../topology.js';
import type { HouseFunction } from './house-function.js';
import { pascal } from './names.js';

export interface PipelineAlarmsProps {
  readonly functions: Record<FunctionId, HouseFunction>;
  readonly deadLetterQueue: sqs.IQueue;
  readonly restApi: apigw.RestApi;
  /** Applies to the topic's key. */
  readonly removalPolicy: RemovalPolicy;
  readonly alarmEmail: string | undefined;
}

/**
 * How long records may keep being reported for redelivery before the alarm says so: a blip (one
 * throttled batch) is the retry policy's job, a failing sink is the operator's.
 */
export const FAILED_ALARM = { periodMinutes: 1, evaluationPeriods: 5, datapointsToAlarm: 3 } as const;

/** Iterator age alarms fire at a quarter of a mapping's record age limit, and at 5 minutes at most. */
export function iteratorAgeThresholdMs(maximumRecordAgeInSeconds: number): number {
  return Math.min(maximumRecordAgeInSeconds / 4, 300) * 1000;
}

/**
 * The alarms that mean events are being lost or delayed, each sent to one SNS topic:
 *
 * - `DeadLetterQueueNotEmpty`: an event was given up on (a permanent indexing failure, or a mapping
 *   exhausted its retries or record age). Someone has to look at it.
 * - `<fn>IteratorAge`: a stream consumer is falling behind. Records older than the mapping's
 *   `maximumRecordAgeInSeconds` are discarded to the on-failure destination, so this fires well before.
 * - `<fn>DeadLettered`: a consumer that dead-letters gave up on an event (its `EventsDeadLettered`
 *   metric, by function; the reason codes are a dimension of the same metric, for the dashboard).
 * - `<fn>Failed`: a consumer keeps reporting events for redelivery (`EventsFailed`) for minutes: its
 *   sink is failing, and the shard waits.
 * - `<fn>Errors`: a function invocation failed outright (a whole batch, or an API request answered 5xx).
 * - `RestApi5xx`: clients are being told to retry.
 */
export class PipelineAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);

    // A customer-managed key, because CloudWatch can only publish to an encrypted topic whose key policy
    // lets it use the key, and the AWS-managed aws/sns key's policy cannot be changed.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the event pipeline alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Event pipeline alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new actions.SnsAction(this.topic);

    // The functions write their metrics (EMF) under this stack's namespace, which the alarms read.
    const namespace = metricsNamespace(Stack.of(this).stackName);
    for (const fn of Object.values(props.functions)) fn.setEnv(METRICS_NAMESPACE_ENV, namespace);
    const eventMetric = (functionId: FunctionId, metricName: string, periodMinutes: number) =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service: functionId },
        period: Duration.minutes(periodMinutes),
        statistic: cloudwatch.Stats.SUM,
      });

    const add = (alarmId: string, alarm: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, alarm);
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
    };

    add('DeadLetterQueueNotEmpty', {
      alarmDescription:
        'Events were dead-lettered: inspect the messages in the dead-letter queue (docs/deploy.md).',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    for (const mapping of STREAM_MAPPINGS) {
      const fn = props.functions[mapping.functionId];
      add(`${pascal(mapping.functionId)}IteratorAge`, {
        alarmDescription: `${mapping.functionId} is falling behind the stream; records older than ${mapping.maximumRecordAgeInSeconds}s are discarded.`,
        metric: fn.function.metric('IteratorAge', {
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: iteratorAgeThresholdMs(mapping.maximumRecordAgeInSeconds),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    for (const mapping of STREAM_MAPPINGS) {
      const id = mapping.functionId;
      if (FUNCTION_BINDINGS[id].deadLetterQueue) {
        add(`${pascal(id)}DeadLettered`, {
          alarmDescription: `${id} dead-lettered events: inspect them by reason, fix, and redrive them (docs/deploy.md).`,
          metric: eventMetric(id, METRIC.deadLettered, 1),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
      add(`${pascal(id)}Failed`, {
        alarmDescription: `${id} keeps reporting events for redelivery: its sink is failing and the shard waits (see its log).`,
        metric: eventMetric(id, METRIC.failed, FAILED_ALARM.periodMinutes),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: FAILED_ALARM.evaluationPeriods,
        datapointsToAlarm: FAILED_ALARM.datapointsToAlarm,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    // Admission fails open: while its table does not answer, no key's event limit holds.
    add('IngestAdmissionUnchecked', {
      alarmDescription:
        "ingest admitted requests without checking their key's event limit: the admission table did not answer (see ingest's log).",
      metric: eventMetric('ingest', METRIC.admissionUnchecked, 5),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    for (const fn of Object.values(props.functions)) {
      add(`${pascal(fn.definition.id)}Errors`, {
        alarmDescription: `${fn.definition.id} invocations are failing (see its log group).`,
        metric: fn.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    // A throttled request function refuses a client (a 5xx, or a WebSocket that cannot connect): the
    // stream consumers' throttles show as iterator age instead, so only the request functions are watched.
    const consumers = new Set<FunctionId>(STREAM_MAPPINGS.map((mapping) => mapping.functionId));
    for (const fn of Object.values(props.functions)) {
      if (consumers.has(fn.definition.id)) continue;
      add(`${pascal(fn.definition.id)}Throttled`, {
        alarmDescription: `${fn.definition.id} invocations were throttled: clients were refused: the account's concurrent executions are used up (no function reserves any); raise the account's quota, or find the client flooding it.`,
        metric: fn.function.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    add('RestApi5xx', {
      alarmDescription: 'The REST API is answering 5xx: clients are retrying or events are not accepted.',
      metric: props.restApi.metricServerError({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
