/**
 * Alarms that mean "someone should look": any function error or throttle, any message in a dead-letter queue,
 * any 5xx from the HTTP API. With an e-mail address (context `alarmEmail`) they notify an encrypted SNS topic.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { RoutedTarget } from './events.js';
import type { ServiceFunction } from './service-function.js';

const PERIOD = Duration.minutes(5);

export interface MonitoringProps {
  readonly functions: readonly ServiceFunction[];
  readonly eventTargets: readonly RoutedTarget[];
  readonly httpApi: HttpApi;
  /** Subscribed to the alarm topic; without it no topic is created. */
  readonly alarmEmail?: string;
}

export class Monitoring extends Construct {
  public readonly alarms: Alarm[] = [];
  public readonly topic?: Topic;

  public constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    if (props.alarmEmail) {
      const key = new Key(this, 'TopicKey', { description: 'Encrypts the conversation deletion alarm topic', enableKeyRotation: true });
      // CloudWatch publishes alarm notifications to the encrypted topic.
      key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Conversation deletion alarms', masterKey: key, enforceSSL: true });
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    }

    for (const fn of props.functions) {
      this.alarm(`${fn.name}Errors`, fn.function.metricErrors({ period: PERIOD, statistic: 'Sum' }), `${fn.name}: invocations failed`);
      this.alarm(`${fn.name}Throttles`, fn.function.metricThrottles({ period: PERIOD, statistic: 'Sum' }), `${fn.name}: invocations throttled`);
    }
    for (const target of props.eventTargets) {
      this.alarm(
        `${target.function.name}DeadLetters`,
        target.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        `${target.function.name}: events in the dead-letter queue (inspect, fix, then redrive)`,
      );
    }
    this.alarm('HttpApi5xx', props.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' }), 'HTTP API answered 5xx');
  }

  /** Alarms as soon as the metric reaches 1 in a 5-minute period; no data is OK (idle service). */
  private alarm(id: string, metric: IMetric, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
