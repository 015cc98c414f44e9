/**
 * The service's event bus and the rules that route its events to functions. The rules use the very
 * patterns of functions/contracts/events.ts (the local bus matches with them too). Each target has a retry
 * policy and its own encrypted dead-letter queue, which receives both kinds of failure:
 * - EventBridge could not invoke the function (its target retry policy is exhausted), and
 * - the function failed on the event (Lambda's asynchronous retries are exhausted): EventBridge invokes Lambda
 *   asynchronously, so without an on-failure destination such events would be dropped silently.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { EventBus, type EventPattern, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { DestinationConfig, IDestination } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type EventPattern as ContractPattern, RULE_PATTERNS } from '#contracts/events.js';
import type { ServiceFunction } from './service-function.js';

export type RuleName = keyof typeof RULE_PATTERNS;

/** The contract's pattern in the CDK's field names (the values are used as they are). */
export const toCdkPattern = (pattern: ContractPattern): EventPattern => ({
  source: pattern.source,
  detailType: pattern['detail-type'],
  ...(pattern.detail ? { detail: pattern.detail } : {}),
});

/** Lambda's on-failure destination, without the extra SQS read actions the stock SqsDestination grants. */
class QueueOnFailure implements IDestination {
  public constructor(private readonly queue: Queue) {}
  public bind(): DestinationConfig {
    return { destination: this.queue.queueArn };
  }
}

export interface RoutedTarget {
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;
  readonly function: ServiceFunction;
}

export interface ServiceEventsProps {
  /** Attempts EventBridge makes to invoke a target. @default 8 */
  readonly retryAttempts?: number;
  /** How long EventBridge and Lambda keep trying one event. @default 6 hours */
  readonly maxEventAge?: Duration;
}

export class ServiceEvents extends Construct {
  public readonly bus: EventBus;
  public readonly targets: RoutedTarget[] = [];
  private readonly retryAttempts: number;
  private readonly maxEventAge: Duration;

  public constructor(scope: Construct, id: string, props: ServiceEventsProps = {}) {
    super(scope, id);
    this.retryAttempts = props.retryAttempts ?? 8;
    this.maxEventAge = props.maxEventAge ?? Duration.hours(6);
    this.bus = new EventBus(this, 'Bus', { description: 'Conversation deletion service events' });
  }

  /** Routes the events matching the named rule's pattern to the function, with retries and a dead-letter queue. */
  public route(ruleName: RuleName, target: ServiceFunction): RoutedTarget {
    const deadLetterQueue = new Queue(this, `${ruleName}DeadLetterQueue`, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter queue of the ${ruleName} rule's target and of the function's asynchronous invocations.`,
    });

    const rule = new Rule(this, `${ruleName}Rule`, {
      eventBus: this.bus,
      description: `${ruleName}: routes matching service events to the ${target.name} function`,
      eventPattern: toCdkPattern(RULE_PATTERNS[ruleName]),
    });
    rule.addTarget(
      new LambdaFunction(target.function, {
        deadLetterQueue,
        retryAttempts: this.retryAttempts,
        maxEventAge: this.maxEventAge,
      }),
    );
    // Failures inside the function: Lambda retries twice, then parks the event in the same queue.
    target.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: this.maxEventAge,
      onFailure: new QueueOnFailure(deadLetterQueue),
    });
    target.allowSendMessage(deadLetterQueue.queueArn);

    const routed = { rule, deadLetterQueue, function: target };
    this.targets.push(routed);
    return routed;
  }

  /**
   * Invokes the function on a fixed rate (a schedule rule, which lives on the default bus). No retries and no
   * dead-letter queue: a failed run is simply the next run's work, and its errors raise the function's alarm.
   */
  public schedule(rate: Duration, target: ServiceFunction): Rule {
    const rule = new Rule(this, `${target.name}Schedule`, {
      description: `Invokes the ${target.name} function every ${rate.toHumanString()}`,
      schedule: Schedule.rate(rate),
    });
    rule.addTarget(new LambdaFunction(target.function, { retryAttempts: 0, maxEventAge: Duration.seconds(Math.max(60, rate.toSeconds())) }));
    target.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(Math.max(60, rate.toSeconds())) });
    return rule;
  }
}
